// The Node.js API verifier of docs/integrating.md section 10 (`node-api-verify`), run with node as written there,
// with `jose` from this repository.
import { describeApiVerifier } from './api-verifier-cases.js';
import { run, writeNodeProgram } from './documented-snippets.js';

describeApiVerifier('Node.js', async (issued) => {
  const program = writeNodeProgram(issued.app.dir, 'verify-api-token.mjs', 'node-api-verify');
  return (token, env) => run(process.execPath, [program, token], env);
});
