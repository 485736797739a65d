/**
 * The committed bundles (actions/<action>/dist/index.cjs, what `uses: <org>/eci-virtual/actions/<action>@<ref>` runs)
 * must be what the sources build to: each action is built again into a temporary directory, with the same options
 * (actions/bundle.mjs, run as its own process as the build command runs it), and compared byte for byte.
 */
import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { actionsDir, committedBundle, listActions } from './bundle.mjs';

const BUILD_COMMAND = 'yarn build:actions';

describe('committed action bundles', () => {
  it('covers every action', () => {
    expect(listActions()).toEqual(expect.arrayContaining(['build-image', 'placement']));
  });

  it.each(listActions())('actions/%s/dist/index.cjs is the build of its sources', async (action) => {
    const dir = mkdtempSync(join(tmpdir(), `eci-action-${action}-`));
    try {
      const fresh = join(dir, 'index.cjs');
      await promisify(execFile)(process.execPath, [join(actionsDir, 'bundle.mjs'), action, '--outfile', fresh]);
      const committed = committedBundle(action);
      const name = relative(join(actionsDir, '..'), committed);
      if (!existsSync(committed)) throw new Error(`${name} is missing: run \`${BUILD_COMMAND}\` and commit ${name}`);
      if (!readFileSync(fresh).equals(readFileSync(committed)))
        throw new Error(
          `${name} is not the build of actions/${action}/src (or of its dependencies): ` +
            `run \`${BUILD_COMMAND}\` and commit ${name}`,
        );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
