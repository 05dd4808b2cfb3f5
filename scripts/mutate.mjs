// `npm run mutate`: mutation testing of the security-critical modules with StrykerJS (docs/mutation-testing.md).
//
//   npm run mutate                                   every group, unit after unit
//   npm run mutate -- oidc auth/secrets              groups, or single units (group/unit)
//   npm run mutate -- oidc --mutate src/oidc/pkce.ts some files of a group (Stryker's `file:line-line` works too),
//                                                    each against the test set of the unit that holds it
//   npm run mutate -- auth/secrets --tests test/http/login.test.ts
//                                                    one unit against other test files
//   npm run mutate -- --list                         groups, units, files and test sets
//   options: --concurrency 1|2 (default 2), --incremental (reuse the unit's last results where code and tests
//            did not change), --ignore-static (leave out module-level mutants, which rerun the whole test set)
//
// Each unit is one Stryker run, in a process of its own (stryker/run.mjs), with the unit's `mutate` files and its
// test set (stryker/groups.mjs, handed to stryker/vitest.config.ts in GATEHOUSE_MUTATION_TESTS). Reports:
// reports/mutation/<group>/<unit>/mutation.html and .json, and reports/mutation/<group>/summary.json; a run with
// --mutate or --tests reports to reports/mutation/partial/<group>-<unit>/ instead. Mutation runs are SQLite only:
// the PostgreSQL variables are removed from their environment. Not part of `npm test` nor of CI.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { groups, neverMutationTests } from '../stryker/groups.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const reportsRoot = path.join(root, 'reports/mutation');

function usage(message) {
  if (message) console.error(`mutate: ${message}`);
  console.error('usage: npm run mutate -- [group|group/unit ...] [--mutate file[,file]] [--tests file[,file]] [--concurrency 1|2] [--incremental] [--ignore-static] [--list]');
  console.error(`groups: ${Object.keys(groups).join(', ')}`);
  process.exit(2);
}

/** `*` and `**` globs as stryker/groups.mjs writes them, as a RegExp over paths from the root (fs.globSync needs Node.js 22). */
function globRegExp(pattern) {
  const body = pattern
    .split(/(\*\*\/|\*)/)
    .map((part) => (part === '**/' ? '(?:.*/)?' : part === '*' ? '[^/]*' : part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

const treeFiles = ['src', 'test'].flatMap((dir) => readdirSync(path.join(root, dir), { recursive: true }).map((file) => `${dir}/${String(file).split(path.sep).join('/')}`));

/** The files that patterns name; a Stryker line range (`file:10-20`) names its file. */
function expand(patterns) {
  return [...new Set(patterns.flatMap((pattern) => treeFiles.filter((file) => globRegExp(pattern.replace(/:\d+(-\d+)?$/, '')).test(file))))].sort();
}

/** Files of a group that no unit mutates. */
function unassigned(group) {
  const assigned = new Set(Object.values(group.units).flatMap((unit) => expand(unit.mutate)));
  return expand([group.files]).filter((file) => !assigned.has(file));
}

function parseArgs(argv) {
  const args = { targets: [], mutate: undefined, tests: undefined, concurrency: undefined, incremental: false, ignoreStatic: false, list: false };
  const values = (value, flag) => {
    if (!value || value.startsWith('--')) usage(`${flag} needs a value`);
    return value
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--mutate') args.mutate = values(argv[++i], arg);
    else if (arg === '--tests') args.tests = values(argv[++i], arg);
    else if (arg === '--concurrency') args.concurrency = Number(argv[++i]);
    else if (arg === '--incremental') args.incremental = true;
    // Static mutants (module-level code: constants, regular expressions, tables) rerun the unit's whole test set
    // in fresh modules, 10 to 20 s each: most of a unit's time. --ignore-static leaves them out of a quick pass.
    else if (arg === '--ignore-static') args.ignoreStatic = true;
    else if (arg === '--list') args.list = true;
    else if (arg === '--help' || arg === '-h') usage();
    else if (arg.startsWith('--')) usage(`unknown option ${arg}`);
    else {
      const [group, unit] = arg.split('/');
      if (!(group in groups)) usage(`unknown group ${group}`);
      if (unit !== undefined && !(unit in groups[group].units)) usage(`unknown unit ${arg} (units of ${group}: ${Object.keys(groups[group].units).join(', ')})`);
      args.targets.push({ group, unit });
    }
  }
  // Two cores, shared: more workers only make the HTTP suites time out.
  if (args.concurrency !== undefined && ![1, 2].includes(args.concurrency)) usage('--concurrency must be 1 or 2');
  if (args.mutate && new Set(args.targets.map(({ group }) => group)).size !== 1) usage('--mutate applies to exactly one group');
  return args;
}

/** The unit runs the arguments ask for: { group, unit, mutate, tests, partial }. */
function plan(args) {
  const targets = args.targets.length ? args.targets : Object.keys(groups).map((group) => ({ group }));
  const runs = [];
  for (const { group, unit } of targets) {
    for (const [name, spec] of Object.entries(groups[group].units)) {
      if (unit !== undefined && unit !== name) continue;
      let mutate = spec.mutate;
      if (args.mutate) {
        const own = new Set(expand(spec.mutate));
        mutate = args.mutate.filter((pattern) => expand([pattern]).some((file) => own.has(file)));
        if (mutate.length === 0) continue;
      }
      runs.push({ group, unit: name, mutate, tests: args.tests ?? spec.tests, partial: Boolean(args.mutate || args.tests) });
    }
  }
  if (runs.length === 0) usage(`no unit mutates ${args.mutate?.join(', ')}`);
  if (args.tests && runs.length !== 1) usage(`--tests applies to exactly one unit; this selects ${runs.map((run) => `${run.group}/${run.unit}`).join(', ')}`);
  return runs;
}

function list() {
  for (const [name, group] of Object.entries(groups)) {
    console.log(`${name} (${group.files})`);
    for (const [unit, spec] of Object.entries(group.units)) {
      console.log(`  ${name}/${unit}\n    mutate: ${expand(spec.mutate).join(' ')}\n    tests:  ${expand(spec.tests).join(' ')}`);
    }
    const left = unassigned(group);
    if (left.length) console.log(`  NOT MUTATED (in no unit): ${left.join(' ')}`);
  }
  console.log(`never in a mutation run: ${neverMutationTests.join(' ')}`);
}

/** The environment of a mutation run: SQLite only, and the unit's test files for stryker/vitest.config.ts. */
function runEnv(tests) {
  const env = { ...process.env, GATEHOUSE_MUTATION_TESTS: tests.join(',') };
  for (const name of ['TEST_DATABASE_URL', 'GATEHOUSE_TEST_ENGINE', 'GATEHOUSE_REQUIRE_POSTGRES_TESTS']) delete env[name];
  return env;
}

function runStryker(options, env) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, 'stryker/run.mjs'), JSON.stringify(options)], { cwd: root, env, stdio: 'inherit' });
    // Stopping the driver stops Stryker, which stops its test runners and removes its sandbox.
    const stop = (signal) => {
      child.kill(signal);
      process.exitCode = 130;
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if (process.exitCode === 130) process.exit(130);
      resolve(signal ? 1 : (code ?? 1));
    });
  });
}

const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

/** The mutants of a Stryker JSON report (mutation-testing-report-schema), flattened. */
function readMutants(reportFile) {
  const report = JSON.parse(readFileSync(reportFile, 'utf8'));
  return Object.entries(report.files).flatMap(([file, { mutants }]) => mutants.map((mutant) => ({ file: path.relative(root, path.resolve(root, file)), ...mutant })));
}

function score(mutants) {
  const counts = {};
  for (const { status } of mutants) counts[status] = (counts[status] ?? 0) + 1;
  const detected = mutants.filter(({ status }) => DETECTED.has(status)).length;
  const valid = detected + mutants.filter(({ status }) => UNDETECTED.has(status)).length;
  return { score: valid ? Math.round((1000 * detected) / valid) / 10 : null, valid, counts };
}

function describeUndetected(mutant) {
  const { line, column } = mutant.location.start;
  // stryker-js#6213: a mutant none of whose tests completed can be reported Survived without having been tested.
  const unmeasured = mutant.status === 'Survived' && mutant.testsCompleted === 0 ? ' [no test completed: rerun it, stryker-js#6213]' : '';
  return `${mutant.status.padEnd(10)} ${mutant.file}:${line}:${column} ${mutant.mutatorName} -> ${JSON.stringify(mutant.replacement ?? '')}${mutant.static ? ' (static)' : ''}${unmeasured}`;
}

function duration(ms) {
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

const args = parseArgs(process.argv.slice(2));
if (args.list) {
  list();
  process.exit(0);
}

const runs = plan(args);
for (const group of new Set(runs.map((run) => run.group))) {
  const left = unassigned(groups[group]);
  if (left.length && !args.mutate) console.warn(`mutate: ${group}: in no unit, so not mutated: ${left.join(' ')} (stryker/groups.mjs)`);
}

const done = [];
let failed = 0;
for (const run of runs) {
  const label = `${run.group}/${run.unit}`;
  const missing = run.tests.filter((pattern) => expand([pattern]).length === 0);
  if (missing.length) console.warn(`mutate: ${label}: no test file matches ${missing.join(', ')}`);
  const dir = run.partial ? path.join(reportsRoot, 'partial', `${run.group}-${run.unit}`) : path.join(reportsRoot, run.group, run.unit);
  mkdirSync(dir, { recursive: true });
  const options = {
    mutate: run.mutate,
    htmlReporter: { fileName: path.join(dir, 'mutation.html') },
    jsonReporter: { fileName: path.join(dir, 'mutation.json') },
    ...(args.concurrency ? { concurrency: args.concurrency } : {}),
    ...(args.incremental ? { incremental: true, incrementalFile: path.join(dir, 'incremental.json') } : {}),
    ...(args.ignoreStatic ? { ignoreStatic: true } : {}),
  };
  console.log(`\nmutate: ${label}: mutating ${run.mutate.join(' ')}\nmutate: ${label}: against ${run.tests.join(' ')}`);
  const started = Date.now();
  const code = await runStryker(options, runEnv(run.tests));
  const ms = Date.now() - started;
  if (code !== 0 || !existsSync(options.jsonReporter.fileName)) {
    console.error(`mutate: ${label}: Stryker failed (exit ${code}) after ${duration(ms)}`);
    failed++;
    continue;
  }
  const mutants = readMutants(options.jsonReporter.fileName);
  const result = { ...run, seconds: Math.round(ms / 1000), ...score(mutants), mutants };
  writeFileSync(
    path.join(dir, 'summary.json'),
    `${JSON.stringify({ ...result, mutants: undefined, undetected: mutants.filter(({ status }) => UNDETECTED.has(status)).map(describeUndetected) }, null, 2)}\n`,
  );
  done.push(result);
}

// Per group: time, score, the score of each file, every undetected mutant.
for (const group of new Set(done.map((run) => run.group))) {
  const units = done.filter((run) => run.group === group);
  const mutants = units.flatMap((run) => run.mutants);
  const seconds = units.reduce((sum, run) => sum + run.seconds, 0);
  const total = score(mutants);
  const files = [...new Set(mutants.map(({ file }) => file))].sort().map((file) => ({ file, ...score(mutants.filter((mutant) => mutant.file === file)) }));
  const undetected = mutants.filter(({ status }) => UNDETECTED.has(status)).map(describeUndetected);
  const whole = units.every((run) => !run.partial) && units.length === Object.keys(groups[group].units).length;
  if (whole) {
    writeFileSync(
      path.join(reportsRoot, group, 'summary.json'),
      `${JSON.stringify({ group, seconds, ...total, units: units.map(({ unit, seconds: s, score: sc, valid }) => ({ unit, seconds: s, score: sc, valid })), files, undetected }, null, 2)}\n`,
    );
  }
  console.log(
    `\n${group}${whole ? '' : ' (part)'}: ${duration(seconds * 1000)}, mutation score ${total.score ?? '-'}% of ${total.valid} (${Object.entries(total.counts)
      .map(([status, n]) => `${status} ${n}`)
      .join(', ')})`,
  );
  for (const run of units) console.log(`  ${run.group}/${run.unit}: ${duration(run.seconds * 1000)}, ${run.score ?? '-'}% of ${run.valid}`);
  for (const file of files) console.log(`  ${file.file}: ${file.score ?? '-'}% of ${file.valid}`);
  for (const line of undetected) console.log(`  ${line}`);
}
if (failed) console.error(`\nmutate: ${failed} unit run(s) failed: see above`);
process.exit(failed ? 1 : 0);
