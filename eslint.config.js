import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** The layers: cli -> core -> store; worker and dashboard use core. Nothing imports upwards. */
const forbid = (...layers) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: layers.map((layer) => ({
        group: [`**/${layer}/**`, `../${layer}/*`, `../../${layer}/*`],
        message: `this layer may not import from ${layer}/ (layers: cli -> core -> store; worker and dashboard use core)`,
      })),
    },
  ],
});

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  { files: ['src/store/**'], rules: forbid('cli', 'worker', 'dashboard') },
  { files: ['src/core/**'], rules: forbid('cli', 'worker', 'dashboard') },
  { files: ['src/worker/**'], rules: forbid('cli', 'dashboard') },
  { files: ['src/dashboard/**'], rules: forbid('cli', 'worker') },
);
