import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** The only product files that may import the Alibaba SDK core (see the rule below). */
const SDK_CORE_USERS = [
  'runner/src/virtual-node/backends/eci/eci-client.ts',
  'runner/src/virtual-node/backends/eci/credentials.ts',
];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/.local/**', 'helm/**'] },
  js.configs.recommended,
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // The product's ECI client uses Alibaba's transport and V3 signing (`@alicloud/openapi-client`, `@alicloud/tea-util`)
    // and its credential providers (`@alicloud/credentials`) — in eci-client.ts and credentials.ts only. The generated
    // ECI SDK (`@alicloud/eci20180808`) stays a devDependency: the reference the tests hold our client and the emulator
    // to (sdk-request-names.test.ts, sdk-contract.test.ts); the requests, limiter, retries and pod mapping are ours.
    files: ['runner/src/**/*.ts', 'runner/contract/src/**/*.ts'],
    ignores: ['**/*.test.ts', ...SDK_CORE_USERS],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ group: ['@alicloud/*'], message: 'Only eci-client.ts and credentials.ts use the Alibaba SDK.' }],
        },
      ],
    },
  },
  {
    files: SDK_CORE_USERS,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@alicloud/*', '!@alicloud/openapi-client', '!@alicloud/tea-util', '!@alicloud/credentials'],
              message: 'The generated ECI SDK is test-only (a devDependency); the product uses the SDK core only.',
            },
          ],
        },
      ],
    },
  },
);
