// ESLint flat config: typescript-eslint with type information (the project service reads tsconfig.json).
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** Every Node built-in, bare and with `node:` (some, like `node:test`, exist only with the prefix). */
const nodeBuiltins = [...new Set(builtinModules.map((m) => m.replace(/^node:/, '')))];
const escapeRegex = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** Matches a built-in's name (and sub-paths) at the start of a specifier without `node:`. */
const BUILTINS_RE = `(${nodeBuiltins.map(escapeRegex).join('|')})(/|$)`;

const SANDBOX =
  'Workflow code runs in a deterministic sandbox (replayed from history): it cannot use Node built-ins, I/O, ' +
  'or packages other than @temporalio/workflow and @temporalio/common. Do side effects in activities.';

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.data/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx}'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Config files and other plain JS: no type information (they are not in tsconfig.json).
    files: ['**/*.{js,mjs,cjs}'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      globals: { module: 'writable', require: 'readonly', process: 'readonly', __dirname: 'readonly', console: 'readonly' },
    },
    rules: { ...tseslint.configs.disableTypeChecked.rules, '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.flatMap((name) => [
            { name, message: SANDBOX, allowTypeImports: true },
            { name: `node:${name}`, message: SANDBOX, allowTypeImports: true },
          ]),
          patterns: [
            // `node:` modules missing from the list (Node has some only with the prefix, e.g. `node:test`).
            { regex: `^node:(?!${BUILTINS_RE})`, message: SANDBOX, allowTypeImports: true },
            // Any package but the two the sandbox provides; relative imports are fine (they are bundled too).
            // Type-only imports are erased, so they may name any package.
            {
              regex: `^(?!\\.{1,2}(/|$)|@temporalio/(workflow|common)(/|$)|node:|${BUILTINS_RE})`,
              message: SANDBOX,
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
);
