// Vitest for mutation runs only (scripts/mutate.mjs, docs/mutation-testing.md), never for `npm test`.
//
// - One project, no `projects`: Stryker's vitest runner cannot pick one project out of several and would run and
//   instrument them all (stryker-js#6215), and verdicts under perTest coverage with a projects config have been
//   seen wrong (stryker-js#6192).
// - SQLite only: TEST_DATABASE_URL is blanked so the store contract's PostgreSQL half and the `postgres` project's
//   engine switch stay off; a mutant in src/ is found the same way on either engine.
// - The test files are the unit's (stryker/groups.mjs), handed over by the driver in GATEHOUSE_MUTATION_TESTS
//   (comma-separated paths or globs); without it, every unit's tests. This, not Stryker's own `testFiles`
//   option, narrows the run: with `testFiles` Stryker activates a static mutant after its module has loaded and
//   reports it Survived (stryker-js#6144, #6209).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';
import { groups, neverMutationTests } from './groups.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fromDriver = process.env.GATEHOUSE_MUTATION_TESTS?.split(',')
  .map((entry) => entry.trim())
  .filter(Boolean);
const everyUnitsTests = Object.values(groups).flatMap((group) => Object.values(group.units).flatMap((unit) => unit.tests));
const include = fromDriver?.length ? fromDriver : [...new Set(everyUnitsTests)];

export default defineConfig({
  root,
  test: {
    include,
    exclude: [...configDefaults.exclude, ...neverMutationTests, '.stryker-tmp/**', 'reports/**'],
    // As in vitest.config.ts: key generation and argon2 take real time on a 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    env: { TEST_DATABASE_URL: '', GATEHOUSE_TEST_ENGINE: 'sqlite' },
  },
});
