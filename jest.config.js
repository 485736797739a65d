// Three projects: `unit` (pure logic, next to the code) and `integration` (against the real control plane and engine
// that the global setup brings up once per run), both native ESM run through `node --experimental-vm-modules`; and
// `web` (the Backstage plugins' component tests in jsdom). `web` runs as CommonJS in its own jest process *without*
// that flag: Backstage publishes ESM in `.js` files of packages that are not `"type": "module"`, and those require()
// ESM-only packages (d3-*, react-markdown), which jest refuses while VM modules are on.
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
      testMatch: [
        '<rootDir>/runner/src/**/*.test.ts',
        '<rootDir>/runner/contract/src/**/*.test.ts',
        '<rootDir>/actions/*/src/**/*.test.ts',
        // The committed action bundles are the build of their sources.
        '<rootDir>/actions/*.test.ts',
        // The local scripts' pure parts (apt sources, ...).
        '<rootDir>/runner/scripts/**/*.test.ts',
        // The ECI emulator is test code with its own unit tests (no cluster or engine needed).
        '<rootDir>/runner/test/eci-emulator/**/*.test.ts',
        // So is the GitHub emulator (its answers checked against GitHub's published schemas).
        '<rootDir>/runner/test/github-emulator/**/*.test.ts',
        '<rootDir>/runner/test/harness/**/*.test.ts',
        // The chaos run's pure parts (workload, verifier) and its cuttable proxy.
        '<rootDir>/runner/test/chaos/**/*.test.ts',
        // The fleet simulation's pure parts (GitHub secondary-limit points).
        '<rootDir>/runner/test/fleet/**/*.test.ts',
      ],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/runner/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/runner/test/harness/global-setup.mjs',
      globalTeardown: '<rootDir>/runner/test/harness/global-teardown.mjs',
      slowTestThreshold: 30,
    },
    {
      displayName: 'web',
      testMatch: ['<rootDir>/plugins/*/src/**/*.test.{ts,tsx}'],
      testEnvironment: 'jsdom',
      // Everything, node_modules included, goes through a transformer that compiles ESM (ours and Backstage's) to
      // CommonJS and leaves CommonJS files untouched.
      transform: { '\\.[cm]?[jt]sx?$': '<rootDir>/plugins/elastic-ci/jest/web-transform.mjs' },
      transformIgnorePatterns: [],
      moduleNameMapper: {
        '^(\\.{1,2}/.*)\\.js$': '$1',
        '\\.(css|svg|png)$': '<rootDir>/plugins/elastic-ci/jest/file-stub.ts',
      },
      setupFilesAfterEnv: ['<rootDir>/plugins/elastic-ci/jest/setup-web.ts'],
    },
  ],
};
