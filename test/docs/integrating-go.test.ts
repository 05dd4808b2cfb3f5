// The Go API verifier of docs/integrating.md section 10 (`go-api-verify`), built as documented: Debian's golang-go
// (.ci/run installs it), the program as main.go beside a go.mod without requirements, offline (GOPROXY=off: the
// standard library alone), then run against a real Gatehouse with the same tokens as the Node.js and Python ones.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import { describeApiVerifier } from './api-verifier-cases.js';
import { documentedSnippet, run } from './documented-snippets.js';

const GO = '/usr/bin/go';

describeApiVerifier(
  'Go',
  async (issued) => {
    if (!existsSync(GO)) throw new Error(`${GO} is needed: apt-get install -y golang-go (.ci/run installs it)`);
    const dir = path.join(issued.app.dir, 'go-verify');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'go.mod'), 'module verify\n\ngo 1.19\n');
    writeFileSync(path.join(dir, 'main.go'), documentedSnippet('go-api-verify'));
    const goEnv = { HOME: process.env.HOME ?? dir, GOFLAGS: '-mod=mod', GOPROXY: 'off', GOTOOLCHAIN: 'local', CGO_ENABLED: '0' };
    const vet = await run(GO, ['vet', '.'], goEnv, dir);
    expect(vet, vet.stderr).toMatchObject({ code: 0 });
    const build = await run(GO, ['build', '-o', 'verify', '.'], goEnv, dir);
    expect(build, build.stderr).toMatchObject({ code: 0 });
    const binary = path.join(dir, 'verify');
    return (token, env) => run(binary, [token], env);
  },
  // The first build compiles the standard library packages it uses into Go's cache.
  240_000,
);
