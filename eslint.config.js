import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

/** What src/engine may not import: it runs unchanged in workers, Node, tests and benchmarks. */
const engineBoundary = [
  {
    group: ['react', 'react-dom', 'react/*', 'zustand', 'zustand/*', 'plotly.js*'],
    message: 'src/engine is framework-free',
  },
  {
    group: ['**/app/**', '**/workers/**', '**/cli/**', 'node:*', 'fs', 'path'],
    message: 'src/engine must not depend on the app, workers, CLI or Node',
  },
];

export default tseslint.config(
  { ignores: ['dist', 'dist-cli', 'node_modules', 'public', 'e2e/artifacts', 'coverage', 'tests/fixtures'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['src/app/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: { ...reactHooks.configs.recommended.rules },
  },
  {
    // The engine is framework-free: it runs unchanged in workers, Node, tests and benchmarks.
    files: ['src/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...engineBoundary,
            {
              group: ['@tensorflow/*'],
              message:
                'tfjs lives in src/engine/tf only (docs/ARCHITECTURE.md, "One way into TensorFlow.js")',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'document', message: 'no DOM in src/engine' },
        { name: 'window', message: 'no DOM in src/engine' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: 'use the seeded Rng from engine/rng' },
      ],
    },
  },
  {
    // The engine's one way into TensorFlow.js.
    files: ['src/engine/tf/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: engineBoundary }] },
  },
);
