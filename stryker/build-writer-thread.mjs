// Stryker's `buildCommand` (stryker.config.mjs): runs inside the sandbox, after the mutants are written, and bundles
// the SQLite store's writer thread to dist/sqlite-writer.mjs, where src/store/sqlite/thread/threaded-store.ts
// starts it from. The HTTP suites need it; `npm test` gets it from `npm run build`.
//
// Built here from the sandbox's own src/ rather than copied from the work tree's dist/, so a mutation run never
// depends on a dist/ built from another state of the tree (or not built at all), and needs no `tsc`. The thread runs
// store code only (none of it mutated), so the one file is all it needs; options as in scripts/bundle.mjs.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

await build({
  absWorkingDir: root,
  entryPoints: ['src/store/sqlite/thread/writer-thread.ts'],
  outfile: 'dist/sqlite-writer.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['better-sqlite3', 'argon2', 'pg'],
  banner: { js: "import { createRequire as __gatehouseRequire } from 'node:module'; const require = __gatehouseRequire(import.meta.url);" },
  logLevel: 'warning',
});
