/*
 * Headless Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe):
 * no WebSocket, no npm package. Tests open a page, click, read the DOM and take screenshots.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** The Chromium binary, or undefined (tests then skip, saying so). */
export function findChromium(): string | undefined {
  const candidates = [process.env.CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"];
  return candidates.find((c): c is string => !!c && fs.existsSync(c));
}

export const NO_CHROMIUM = "Chromium is not installed (Debian: apt-get install chromium; .ci/run installs it)";

export interface Page {
  /** Evaluates `expression` in the page and returns its value (promises are awaited). */
  evaluate<T = unknown>(expression: string): Promise<T>;
  /** Loads `url` and waits for the load event and then `readyExpression` to be truthy. */
  goto(url: string, readyExpression?: string): Promise<void>;
  screenshot(): Promise<Buffer>;
  close(): Promise<void>;
}

export async function launch(binary: string, width = 1200, height = 900): Promise<Page> {
  const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), "tsprof-chromium-"));
  const child: ChildProcess = spawn(binary, [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-extensions", "--hide-scrollbars", "--mute-audio",
    `--user-data-dir=${profileDir}`, "--remote-debugging-pipe", "about:blank",
  ], { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr = (stderr + d).slice(-4000)));
  const input = child.stdio[3] as NodeJS.WritableStream;
  const output = child.stdio[4] as NodeJS.ReadableStream;
  let nextId = 1;
  const pending = new Map<number, { resolve(v: any): void; reject(e: Error): void }>();
  const listeners: ((msg: any) => void)[] = [];
  let buffered = "";
  output.on("data", (chunk: Buffer) => {
    buffered += chunk.toString("utf8");
    let end;
    while ((end = buffered.indexOf("\0")) >= 0) {
      const msg = JSON.parse(buffered.slice(0, end));
      buffered = buffered.slice(end + 1);
      if (msg.id && pending.has(msg.id)) {
        const p = pending.get(msg.id)!;
        pending.delete(msg.id);
        if (msg.error) p.reject(new Error(`${msg.error.message}`));
        else p.resolve(msg.result);
      } else for (const l of listeners) l(msg);
    }
  });
  const exited = new Promise<void>((resolve) => child.on("exit", () => {
    for (const p of pending.values()) p.reject(new Error(`chromium exited: ${stderr}`));
    resolve();
  }));
  const send = (method: string, params: object = {}, sessionId?: string): Promise<any> => {
    const id = nextId++;
    input.write(JSON.stringify({ id, method, params, sessionId }) + "\0");
    return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
  };
  const { targetId } = await send("Target.createTarget", { url: "about:blank" });
  const { sessionId } = await send("Target.attachToTarget", { targetId, flatten: true });
  const s = (method: string, params: object = {}) => send(method, params, sessionId);
  await s("Page.enable");
  await s("Emulation.setDeviceMetricsOverride", { width, height, deviceScaleFactor: 1, mobile: false });
  const page: Page = {
    async evaluate<T>(expression: string): Promise<T> {
      const r = await s("Runtime.evaluate", { expression, returnByValue: true, awaitPromise: true });
      if (r.exceptionDetails) throw new Error(`page: ${r.exceptionDetails.exception?.description ?? r.exceptionDetails.text}`);
      return r.result.value as T;
    },
    async goto(url, readyExpression = "true") {
      const loaded = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${url} did not load within 60 s`)), 60_000);
        const l = (msg: any) => {
          if (msg.method === "Page.loadEventFired" && msg.sessionId === sessionId) {
            listeners.splice(listeners.indexOf(l), 1);
            clearTimeout(timer);
            resolve();
          }
        };
        listeners.push(l);
      });
      await s("Page.navigate", { url });
      await loaded;
      for (let i = 0; i < 600; i++) {
        if (await page.evaluate(readyExpression)) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`page never became ready (${readyExpression})`);
    },
    async screenshot() {
      const { data } = await s("Page.captureScreenshot", { format: "png" });
      return Buffer.from(data, "base64");
    },
    async close() {
      send("Browser.close").catch(() => {});
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
      fs.rmSync(profileDir, { recursive: true, force: true });
    },
  };
  return page;
}
