// The code blocks of docs/integrating.md (and README.md) that the tests run, taken from between their markers
// exactly as a reader copies them (`<!-- NAME:start -->`, one fenced block, `<!-- NAME:end -->`).
import { execFile } from 'node:child_process';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../src/paths.js';

/** The code of the fenced block between `<!-- name:start -->` and `<!-- name:end -->` of `file` (the guide by default). */
export function documentedSnippet(name: string, file = 'docs/integrating.md'): string {
  const text = readFileSync(path.join(packageRoot, file), 'utf8');
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`<!-- ${escaped}:start -->\\s*\`\`\`[a-z]*\\n([\\s\\S]*?)\`\`\`\\s*<!-- ${escaped}:end -->`).exec(text);
  if (!match?.[1]) throw new Error(`${file} has no ${name} block`);
  return match[1];
}

/**
 * Writes a documented Node.js program into `dir` as `file`, where `import 'jose'` and `import 'openid-client'`
 * resolve to this repository's packages (a node_modules link), as they would after `npm install jose` there.
 */
export function writeNodeProgram(dir: string, file: string, snippet: string): string {
  try {
    symlinkSync(path.join(packageRoot, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const target = path.join(dir, file);
  writeFileSync(target, documentedSnippet(snippet));
  return target;
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end with only the environment given (and PATH), never through a shell. */
export function run(command: string, args: string[], env: Record<string, string>, cwd?: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, cwd, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout: stdout.trim(), stderr: stderr.trim() });
    });
  });
}
