// Import boundaries, checked by `yarn lint` (dependency-cruiser). Each rule says which way knowledge may flow:
// the contract package knows nothing; workflow/ is pure; the virtual node is a kubelet and knows no CI; the parts
// deployed apart (actions, plugin) reach runner code only through @eci-virtual/contract.
// runner/contract/src/boundaries.test.ts shows that a deliberate break fails.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles make modules impossible to read or test alone.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'contract-is-a-leaf',
      severity: 'error',
      comment: 'The contract is imported by every deployed part; it imports nothing but itself (no npm packages).',
      from: { path: '^runner/contract/src' },
      to: {
        pathNot: ['^runner/contract/src', '^node_modules/@jest/', '^node_modules/@types/'],
        dependencyTypesNot: ['core'],
      },
    },
    {
      name: 'virtual-node-knows-no-ci',
      severity: 'error',
      comment: 'The virtual node is a kubelet: it sees Kubernetes pods and typed fields, never CI code.',
      from: { path: '^runner/src/virtual-node' },
      to: {
        path: '^runner/src/(controller|hooks|local-run|pod-assembly|step-transport|workflow|cli)/',
      },
    },
    {
      name: 'workflow-is-pure',
      severity: 'error',
      comment: 'workflow/ (parse, expressions, matrix, pod needs) imports nothing but itself, the contract and yaml.',
      from: { path: '^runner/src/workflow' },
      to: {
        pathNot: ['^runner/src/workflow', '^runner/contract/src', '^node_modules/yaml/'],
        dependencyTypesNot: ['core'],
      },
    },
    {
      name: 'actions-and-plugins-only-through-the-contract',
      severity: 'error',
      comment:
        'Composite actions and the Backstage plugin are deployed apart: runner code reaches them only as the contract.',
      from: { path: '^(actions|plugins)/' },
      to: { path: '^runner/(src|test|scripts)/' },
    },
    {
      name: 'product-never-imports-tests',
      severity: 'error',
      from: { path: '^runner/(src|contract)/', pathNot: '\\.test\\.tsx?$' },
      to: { path: '^runner/(test|scripts)/' },
    },
    {
      name: 'hooks-stay-small',
      severity: 'error',
      comment: 'The hooks bundle runs in the runner container: no controller, CLI, local-run or virtual-node code.',
      from: { path: '^runner/src/hooks' },
      to: { path: '^runner/src/(controller|cli|local-run|virtual-node)/' },
    },
    {
      name: 'controller-is-not-the-cli-engine',
      severity: 'error',
      from: { path: '^runner/src/controller' },
      to: { path: '^runner/src/(local-run|cli|hooks|virtual-node)/' },
    },
    {
      name: 'records-are-storage-only',
      severity: 'error',
      comment: 'Job records are written by the lifecycle and read by the portal; they know neither.',
      from: { path: '^runner/src/controller/records' },
      to: { path: '^runner/src/controller/(jobs|lifecycle|portal-api|intake)/' },
    },
    {
      name: 'portal-is-read-only',
      severity: 'error',
      comment: 'The portal API reads records and settings; it never calls the write side (launcher, lifecycle).',
      from: { path: '^runner/src/controller/portal-api' },
      to: { path: '^runner/src/controller/(jobs|lifecycle|intake)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|\\.local|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'],
    },
  },
};
