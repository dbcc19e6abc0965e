// `preset: "tsprof"` in jest.config: TypeScript through `tsprof/jest`, and the profile written
// after each test file.
// One session for the whole test run (this runs in jest's main process, before its workers).
process.env.TSPROF_SESSION ||= `${process.pid}-${Date.now()}`;

export = {
  transform: { "^.+\\.[cm]?tsx?$": require.resolve("./jest") },
  setupFilesAfterEnv: [require.resolve("./jest-setup")],
};
