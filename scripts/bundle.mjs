// Bundles the compiled server (dist/src/server.js, written by `tsc`) into dist/gatehouse.mjs, what `npm start`
// runs: a few files start much faster than Node resolving and compiling some 400 modules one by one.
//
// - The output stays inside dist/, so src/paths.ts still finds the package root (the first directory above the
//   running file holding package.json and migrations/), and with it views/ and public/. The SQLite writer
//   thread is a second entry (dist/sqlite-writer.mjs), sharing chunks with the server.
// - Code splitting keeps every dynamic import() lazy, each in a chunk of its own in dist/chunks/: without it
//   esbuild inlines the PostgreSQL store and hoists its `import pg from 'pg'` to the top of the one file, so
//   every SQLite start loaded pg (about 90 ms). It also lets server.ts load the HTTP application (its own chunk)
//   while the store opens.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// Chunk names carry a content hash: clear the previous build's so none is left behind.
await rm(path.join(root, 'dist/chunks'), { recursive: true, force: true });
await build({
  absWorkingDir: root,
  // The SQLite writer thread is an entry of its own: a Worker starts from a file (src/store/sqlite/thread/).
  entryPoints: { gatehouse: 'dist/src/server.js', 'sqlite-writer': 'dist/src/store/sqlite/thread/writer-thread.js' },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Native addons cannot be bundled; pg is only ever loaded with DATABASE_URL.
  external: ['better-sqlite3', 'argon2', 'pg'],
  // Bundled CommonJS dependencies call require() (for Node's built-ins): give each ES module file one.
  banner: { js: "import { createRequire as __gatehouseRequire } from 'node:module'; const require = __gatehouseRequire(import.meta.url);" },
  // Whitespace only: V8 keeps every script's source in the heap (1.6 MB here), so this saves about 1 MiB of idle
  // RSS; names stay, so stack traces still name their functions. Full minification measured worse (+2-3 MiB of
  // idle RSS, no faster start).
  minifyWhitespace: true,
  // Maps back to src/*.ts (through tsc's maps) for stack traces under `node --enable-source-maps`; unused otherwise.
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
});
