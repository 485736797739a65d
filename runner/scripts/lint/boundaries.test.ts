/**
 * Proves that the import boundaries in .dependency-cruiser.cjs (run by `yarn lint`) catch deliberate breaks: each
 * case writes a tiny tree under a temporary directory, laid out like the repository, and cruises it with the
 * project's own rules. The real tree passing is `yarn lint` itself.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const config = require('../../../.dependency-cruiser.cjs') as { forbidden: unknown[] };

let base: string;
beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'eci-boundaries-'));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

let n = 0;
async function violations(files: Record<string, string>): Promise<string[]> {
  const dir = join(base, String(++n));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const roots = [...new Set(Object.keys(files).map((p) => p.split('/')[0]!))];
  const result = await cruise(
    roots,
    {
      validate: true,
      ruleSet: { forbidden: config.forbidden } as never,
      baseDir: dir,
      tsPreCompilationDeps: true,
      outputType: 'json',
    },
    { extensions: ['.ts', '.tsx', '.js'] },
  );
  const out = JSON.parse(String(result.output)) as ICruiseResult;
  return out.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
}

describe('import boundaries (.dependency-cruiser.cjs)', () => {
  it('refuses CI code in the virtual node', async () => {
    expect(
      await violations({
        'runner/src/virtual-node/pods/p.ts': "import { a } from '../../controller/c.js';\nexport const b = a;\n",
        'runner/src/controller/c.ts': 'export const a = 1;\n',
      }),
    ).toEqual(['virtual-node-knows-no-ci: runner/src/virtual-node/pods/p.ts → runner/src/controller/c.ts']);
  });

  it('refuses runner code in actions and plugins', async () => {
    expect(
      await violations({
        'actions/build-image/src/main.ts': "import { a } from '../../../runner/src/errors.js';\nexport const b = a;\n",
        'plugins/elastic-ci/src/x.ts': "import { a } from '../../../runner/src/errors.js';\nexport const c = a;\n",
        'runner/src/errors.ts': 'export const a = 1;\n',
      }),
    ).toEqual([
      'actions-and-plugins-only-through-the-contract: actions/build-image/src/main.ts → runner/src/errors.ts',
      'actions-and-plugins-only-through-the-contract: plugins/elastic-ci/src/x.ts → runner/src/errors.ts',
    ]);
  });

  it('keeps workflow/ pure and the contract a leaf', async () => {
    expect(
      await violations({
        'runner/src/workflow/w.ts': "import { k } from '../kube/client.js';\nexport const w = k;\n",
        'runner/src/kube/client.ts': 'export const k = 1;\n',
        'runner/contract/src/c.ts': "import { k } from '../../src/kube/client.js';\nexport const c = k;\n",
      }),
    ).toEqual([
      'contract-is-a-leaf: runner/contract/src/c.ts → runner/src/kube/client.ts',
      'workflow-is-pure: runner/src/workflow/w.ts → runner/src/kube/client.ts',
    ]);
  });

  it('refuses import cycles', async () => {
    const found = await violations({
      'runner/src/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
      'runner/src/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
    });
    expect(found).toContain('no-circular: runner/src/a.ts → runner/src/b.ts');
  });

  it('lets the virtual node use the kube wrapper and the contract', async () => {
    expect(
      await violations({
        'runner/src/virtual-node/v.ts':
          "import { k } from '../kube/client.js';\nimport { c } from '../../contract/src/index.js';\nexport const v = [k, c];\n",
        'runner/src/kube/client.ts': 'export const k = 1;\n',
        'runner/contract/src/index.ts': 'export const c = 1;\n',
      }),
    ).toEqual([]);
  });
});
