// `preset: "tsprof"` in jest.config: TypeScript through `tsprof/jest`, and the profile written
// after each test file.
export = {
  transform: { "^.+\\.[cm]?tsx?$": require.resolve("./jest") },
  setupFilesAfterEnv: [require.resolve("./jest-setup")],
};
