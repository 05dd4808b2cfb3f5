import { configDefaults, defineConfig } from 'vitest/config';

// The store contract runs on every engine inside one suite (test/store/engines.ts); the HTTP, `idp` tool and
// browser suites run twice, the second time with every app and tool on PostgreSQL (test/helpers/start-app.ts,
// test/helpers/cli-store.ts): the same test code on both engines. test/cluster and test/transfer need
// PostgreSQL and the SQLite project runs them.
const postgres = Boolean(process.env.TEST_DATABASE_URL);
if (!postgres) {
  if (process.env.GATEHOUSE_REQUIRE_POSTGRES_TESTS) {
    throw new Error('GATEHOUSE_REQUIRE_POSTGRES_TESTS is set but TEST_DATABASE_URL is not: the PostgreSQL tests would be skipped');
  }
  // Vitest may read this file more than once in one process: say it once.
  if (!process.env.GATEHOUSE_POSTGRES_SKIP_SAID) {
    process.env.GATEHOUSE_POSTGRES_SKIP_SAID = '1';
    console.warn('PostgreSQL tests skipped: set TEST_DATABASE_URL=postgres://USER:PASSWORD@127.0.0.1:5432/DATABASE to run them too (README, Tests)');
  }
}

export default defineConfig({
  test: {
    // Key generation, argon2 and child processes take real time on a 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two files at a time. Vitest's default on a 2-core machine is one (cores − 1), which left the suite's files running
    // one after another (the last run: 2,852 s of test time in 3,302 s of wall time): most of a file's time is spent
    // waiting on child processes, PostgreSQL, Chromium and sockets, not on this process's CPU.
    maxWorkers: 2,
    // Mutation testing's sandboxes and reports (npm run mutate, docs/mutation-testing.md) hold copies of the tests.
    exclude: [...configDefaults.exclude, '.stryker-tmp/**', 'reports/**'],
    projects: [
      { extends: true, test: { name: 'sqlite', include: ['test/**/*.test.ts'] } },
      ...(postgres
        ? [
            {
              extends: true as const,
              test: {
                name: 'postgres',
                include: ['test/http/**/*.test.ts', 'test/cli/**/*.test.ts', 'test/e2e/**/*.test.ts'],
                // The demo is SQLite by design (a fresh data directory); the same journey runs once. The accessibility
                // and languages suites judge markup, styles and texts, which no engine changes (the branding store
                // and screens run on both engines in test/store and test/http): they run once too.
                exclude: [...configDefaults.exclude, '.stryker-tmp/**', 'reports/**', 'test/e2e/demo-*.test.ts', 'test/e2e/accessibility.test.ts', 'test/e2e/languages-and-branding.test.ts'],
                env: { GATEHOUSE_TEST_ENGINE: 'postgres' },
              },
            },
          ]
        : []),
    ],
  },
});
