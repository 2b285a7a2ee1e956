// One lint configuration for the whole tree. The import-boundary rule keeps the core pure and the engine
// behind its ports: core/ and engine/ may not reach Slack, Redis, cron or Prometheus client libraries.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const adapterLibraries = ['@slack/*', 'ioredis', 'node-cron', 'prom-client', 'pino'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
    },
  },
  {
    files: ['src/core/**/*.ts', 'src/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: adapterLibraries,
              message: 'core/ and engine/ see ports only: put library code in an adapter and pass it in.',
            },
            {
              group: [
                '**/store/*',
                '**/slack/*',
                '**/serving/*',
                '**/metrics-source/*',
                '**/console/*',
                '**/http/*',
                '**/observability/*',
                '**/paging/*',
                '**/demo/*',
              ],
              message: 'core/ and engine/ may not import adapters; depend on the port in engine/ports.ts.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: adapterLibraries, message: 'core/ is pure: no I/O libraries.' },
            { group: ['../*', '!../core/*'], message: 'core/ imports only core/.' },
            { group: ['node:*'], message: 'core/ is pure: no Node I/O modules.' },
          ],
        },
      ],
      'no-restricted-globals': ['error', { name: 'Date', message: 'core/ reads no clock: pass time in.' }],
    },
  },
  {
    files: ['bin/**/*.js', 'eslint.config.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
