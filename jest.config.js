// Two projects: `unit` (pure logic, next to the code) and `integration` (against the real control plane and engine
// that the global setup brings up once per run). Native ESM: run through `node --experimental-vm-modules`.
const swc = [
  '@swc/jest',
  { jsc: { parser: { syntax: 'typescript', tsx: true }, target: 'es2022' }, module: { type: 'es6' } },
];
const common = {
  transform: { '^.+\\.(t|j)sx?$': swc },
  extensionsToTreatAsEsm: ['.ts', '.tsx'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
  // .local holds the test cluster's etcd data, whose `.snap` files jest would take for obsolete snapshots.
  modulePathIgnorePatterns: ['<rootDir>/.local/'],
  watchPathIgnorePatterns: ['<rootDir>/.local/'],
};

/** @type {import('jest').Config} */
export default {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/runner/src/**/*.test.ts', '<rootDir>/actions/*/src/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/runner/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/runner/test/harness/global-setup.mjs',
      globalTeardown: '<rootDir>/runner/test/harness/global-teardown.mjs',
      slowTestThreshold: 30,
    },
  ],
};
