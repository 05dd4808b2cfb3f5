#!/usr/bin/env node
// The `idp` command-line tool; its code is compiled into dist/ by `npm install` (the prepare script).
try {
  await import('../dist/src/cli/main.js');
} catch (error) {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/src/cli/main.js')) {
    process.stderr.write('idp: Gatehouse is not built yet; run `npm install` (or `npm run build`) in its folder first\n');
    process.exit(1);
  }
  throw error;
}
