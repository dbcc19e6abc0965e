/*
 * V8's own CPU profiler, run in-process through an inspector session on the calling thread
 * (main or worker). The in-thread session dispatches synchronously, so `stop()` returns the
 * profile at once — including from an `exit` listener, where no more turns of the loop come.
 */

/** A node of V8's `Profiler.Profile`, as the inspector protocol gives it. */
export interface CpuProfileNode {
  id: number;
  callFrame: {
    functionName: string;
    scriptId: string;
    url: string;
    /** 0-based. */
    lineNumber: number;
    /** 0-based. */
    columnNumber: number;
  };
  hitCount?: number;
  children?: number[];
  /** Self samples by 1-based line of the script. */
  positionTicks?: { line: number; ticks: number }[];
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  /** Microseconds, V8's monotonic clock. */
  startTime: number;
  endTime: number;
  /** Node id on top of the stack, one per sample. */
  samples: number[];
  /** Microseconds since the previous sample (the first: since `startTime`). */
  timeDeltas: number[];
}

export interface CpuSession {
  /** Stops the profiler and returns its profile; `null` if it failed. Idempotent. */
  stop(): CpuProfile | null;
}

export interface InspectorSession {
  connect(): void;
  disconnect(): void;
  post(method: string, params: object, cb: (err: Error | null, result?: any) => void): void;
}

/** Whether this Node has an inspector (builds without one have no `node:inspector`). */
export function hasInspector(): boolean {
  try {
    require("node:inspector");
    return true;
  } catch {
    return false;
  }
}

/** An inspector session connected to this thread, or null where this Node has no inspector. */
export function connectedSession(): InspectorSession | null {
  try {
    // Loaded on demand: most runs never sample, and `node:inspector` is absent from builds without it.
    const { Session } = require("node:inspector") as { Session: new () => InspectorSession };
    const session = new Session();
    session.connect();
    return session;
  } catch {
    return null;
  }
}

/**
 * Starts V8's sampling CPU profiler on this thread, sampling every `intervalUs` microseconds.
 * Returns `null` (and profiles nothing) where this Node has no inspector.
 */
export function startCpuProfile(intervalUs: number): CpuSession | null {
  const session = connectedSession();
  if (!session) return null;
  let failed = false;
  const post = (method: string, params: object = {}): any => {
    let out: any;
    session.post(method, params, (err, result) => {
      if (err) failed = true;
      out = result;
    });
    return out;
  };
  post("Profiler.enable");
  post("Profiler.setSamplingInterval", { interval: Math.max(1, Math.round(intervalUs)) });
  post("Profiler.start");
  if (failed) {
    try {
      session.disconnect();
    } catch {}
    return null;
  }
  let done = false;
  let profile: CpuProfile | null = null;
  return {
    stop() {
      if (done) return profile;
      done = true;
      const result = post("Profiler.stop");
      profile = !failed && result?.profile ? (result.profile as CpuProfile) : null;
      try {
        post("Profiler.disable");
        session.disconnect();
      } catch {}
      return profile;
    },
  };
}
