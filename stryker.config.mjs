// Mutation testing with StrykerJS (docs/mutation-testing.md). Run it through `npm run mutate` (scripts/mutate.mjs),
// which runs Stryker once per unit of a module group (stryker/groups.mjs) with that unit's `mutate` files, test
// set and report directory; this file holds what every run shares.
// @ts-check
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: {
    configFile: 'stryker/vitest.config.ts',
    // The unit's test set is the narrowing; vitest's import graph would add nothing, as every HTTP suite imports the whole app.
    related: false,
    // Vitest's own default, as `npm test` runs: each test file in a child process of its own.
    pool: 'forks',
  },
  // Each mutant runs only the tests that reached it; a mutant reached outside any test (app start-up in a
  // `beforeAll`) runs the unit's whole test set in freshly loaded modules.
  coverageAnalysis: 'perTest',
  // Two cores on the machines this project runs on; never more (scripts/mutate.mjs refuses more).
  concurrency: 2,
  // HTTP suites start a server, open a database and hash passwords: a slow mutant is not a hung one.
  timeoutMS: 20_000,
  dryRunTimeoutMinutes: 15,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  clearTextReporter: { allowColor: false, reportTests: false, logTests: false },
  tempDirName: '.stryker-tmp',
  // Also after a failed run: the console says what failed, and a sandbox per failed run would pile up.
  cleanTempDir: 'always',
  // The SQLite store's writer thread runs from a bundle, dist/sqlite-writer.mjs (src/store/sqlite/thread/
  // threaded-store.ts): built in the sandbox from its own src/, so the work tree's dist/ is neither needed nor copied.
  buildCommand: 'node stryker/build-writer-thread.mjs',
  // The sandbox is a copy of the tree: leave out what no test in a mutation run reads.
  ignorePatterns: ['/dist', '/data', '/test/artifacts', '/deploy', '/examples', '/docs', '/reports', '/.stryker-tmp'],
  thresholds: { high: 90, low: 75, break: null },
};
