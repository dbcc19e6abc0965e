// The one vitest API tsprof's setup file uses; vitest is the user's, not a dependency of tsprof.
declare module "vitest" {
  export function afterAll(fn: () => void): void;
}
