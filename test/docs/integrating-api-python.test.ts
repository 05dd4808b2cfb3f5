// The Python API verifier of docs/integrating.md section 10 (`python-api-verify`), run as documented: Debian's
// /usr/bin/python3 with python3-jwt (PyJWT 2.6), as test/docs/integrating-python.test.ts runs section 4's script.
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describeApiVerifier } from './api-verifier-cases.js';
import { documentedSnippet, run } from './documented-snippets.js';

const PYTHON = '/usr/bin/python3';

describeApiVerifier('Python', async (issued) => {
  const probe = await new Promise<string | null>((resolve) => {
    execFile(PYTHON, ['-c', 'import jwt; print(jwt.__version__)'], (error, stdout) => resolve(error ? null : stdout.trim()));
  });
  if (!existsSync(PYTHON) || probe === null) throw new Error(`${PYTHON} with PyJWT is needed: apt-get install -y python3-jwt (.ci/run installs it)`);
  const script = path.join(issued.app.dir, 'verify_api_token.py');
  writeFileSync(script, documentedSnippet('python-api-verify'));
  return (token, env) => run(PYTHON, [script, token], { ...env, PATH: '/usr/bin:/bin' });
});
