// ESLint with types (issue 20): `npm run lint`, the first step of `npm test`. README, "Linting", lists every
// exception below. typescript-eslint reads the types through tsconfig.json (one TypeScript program, built once
// per run); the tool scripts outside it get the project service's default project.
// @ts-check
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** Read-only globals, by name: the plain JavaScript files have no type checker to know them. */
const globalsNamed = (/** @type {string} */ names) => Object.fromEntries(names.split(' ').map((name) => [name, /** @type {const} */ ('readonly')]));
const nodeGlobals = globalsNamed(
  'process console Buffer URL URLSearchParams setTimeout clearTimeout setInterval clearInterval setImmediate queueMicrotask fetch AbortController AbortSignal TextEncoder TextDecoder structuredClone performance crypto',
);
const browserGlobals = globalsNamed(
  'window document console fetch location navigator URL URLSearchParams FormData setTimeout clearTimeout sessionStorage localStorage crypto TextEncoder TextDecoder',
);

// tsc (noUnusedLocals, noUnusedParameters) accepts a leading `_` as "unused on purpose" (an omitted property, an
// Express error handler's fourth parameter); the lint follows the same convention rather than a second one.
const unusedVars = ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true }];

// A promise nobody waits for, or whose rejection nobody handles (issue 20's first class): errors in every file with types.
const promiseRules = {
  '@typescript-eslint/no-floating-promises': 'error',
  '@typescript-eslint/no-misused-promises': 'error',
  '@typescript-eslint/await-thenable': 'error',
};

const typed = ['**/*.ts', '*.mjs', 'bin/*.js', 'scripts/**/*.mjs', 'stryker/**/*.mjs'];

export default defineConfig(
  { ignores: ['dist/**', 'reports/**', '.stryker-tmp/**', 'coverage/**', '**/node_modules/**', 'data/**', 'keys/**', 'test/artifacts/**'] },

  // A disable comment that no longer disables anything is an error too: exceptions do not outlive their reason.
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },

  // Every file: the JavaScript rules.
  js.configs.recommended,
  {
    rules: {
      'no-unused-vars': unusedVars,
      // Exception: our regular expressions name control characters only to refuse them (names, URIs, return paths).
      'no-control-regex': 'off',
    },
  },

  // Every file the type checker reads gets the type information.
  {
    files: typed,
    languageOptions: {
      parserOptions: {
        projectService: {
          // Outside tsconfig.json: the tool scripts (plain JavaScript, read without checkJs) and the mutation-testing config.
          allowDefaultProject: ['*.mjs', 'bin/*.js', 'scripts/*.mjs', 'scripts/demo/*.mjs', 'stryker/*.mjs', 'stryker/*.ts'],
          // The default is 8 files; these are 11 small ones.
          maximumDefaultProjectFileMatchCount_THIS_WILL_SLOW_DOWN_LINTING: 16,
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
  },

  // The server: every strict rule that reads types; two relaxed here, one turned off for the SQLite store below.
  {
    files: ['src/**/*.ts'],
    extends: [tseslint.configs.strictTypeChecked],
    rules: {
      '@typescript-eslint/no-unused-vars': unusedVars,
      // Relaxed: a number prints one way in a message or in SQL text; null, undefined, objects and booleans stay refused.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // Relaxed: `() => res.end()` as a callback whose result nobody reads is plain; `return voidCall()` in a body stays refused.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
    },
  },
  {
    // Exception: the synchronous SQLite store implements the async Store interface; `async` turns its throws into rejections, as callers expect.
    files: ['src/store/sqlite/**/*.ts'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },

  // Tests, benchmarks and tool scripts: the promise rules with types, typescript-eslint's rules without types.
  // They read JSON off the wire, rows and child processes' output on purpose untyped and check it with expect();
  // the strict set (no-unsafe-*, no-non-null-assertion) would ask for a cast on each read that checks nothing.
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/*.ts', 'stryker/**', 'scripts/**/*.mjs', 'bin/*.js', '*.mjs', '*.ts'],
    extends: [tseslint.configs.recommended],
    languageOptions: { globals: nodeGlobals },
    rules: {
      ...promiseRules,
      '@typescript-eslint/no-unused-vars': unusedVars,
    },
  },
  {
    // Exception: a test's `any` is the JSON of an answer, read by the assertions that follow it.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },

  // Plain JavaScript without types: the example applications (packages of their own) and the browser scripts.
  { files: ['examples/**/*.js'], ignores: ['examples/spa/public/**'], languageOptions: { globals: nodeGlobals } },
  // `oidc`: the global of the vendored oidc-client-ts bundle the SPA's page loads first.
  { files: ['examples/spa/public/**/*.js'], languageOptions: { sourceType: 'script', globals: { ...browserGlobals, oidc: 'readonly' } } },
  { files: ['public/**/*.js'], languageOptions: { sourceType: 'script', globals: browserGlobals } },
);
