// Runs one Stryker mutation test with the options in argv[2] (JSON, over stryker.config.mjs); scripts/mutate.mjs
// starts it once per unit of a module group, so each run gets a fresh process and the environment set for it.
//
// StrykerJS 10 declares Node.js >= 22 and its CLI module refuses anything older when loaded (the package's main
// export loads it too). This project runs on Node.js 20 (package.json `engines`, CI), and its native addons
// (better-sqlite3, argon2) are built for the Node.js that runs the tests, so on Node.js 20 we load the Stryker class
// from its own module, skipping that check, and say so. Pinned versions keep that path stable; on Node.js 22 or
// later the public export is used.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const options = JSON.parse(process.argv[2] ?? '{}');

async function loadStryker() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major >= 22) return (await import('@stryker-mutator/core')).Stryker;
  console.warn(`mutate: Node.js ${process.versions.node}: StrykerJS 10 asks for 22 or later; loading it past its version check (docs/mutation-testing.md)`);
  const file = path.join(root, 'node_modules/@stryker-mutator/core/dist/src/stryker.js');
  return (await import(pathToFileURL(file).href)).Stryker;
}

const Stryker = await loadStryker();
try {
  await new Stryker(options).runMutationTest();
} catch (error) {
  console.error(`mutate: Stryker stopped: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
