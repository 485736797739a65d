import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitHubEmulator } from '../../test/github-emulator/server.js';
import { downloadAction, tarballUrl } from './action-download.js';
import { loadWithRemoteActions } from '../cli/run-command.js';
import type { LoadedJobs } from './from-workflow.js';
import { actionDirectory } from '../workflow/local-action.js';

describe('downloadAction (the runner: ActionManager.cs DownloadRepositoryArchive / ExtractRepositoryArchive)', () => {
  const emulator = new GitHubEmulator({ webhookSecret: 's', runnerHost: '127.0.0.1', host: '127.0.0.1' });
  const src = mkdtempSync(join(tmpdir(), 'eci-action-src-'));
  beforeAll(async () => {
    mkdirSync(join(src, 'sub'), { recursive: true });
    writeFileSync(join(src, 'action.yml'), 'runs:\n  using: node20\n  main: index.js\n');
    writeFileSync(join(src, 'sub', 'index.js'), 'console.log(1)\n');
    emulator.registerArchive('Own/Act', 'v1', src);
    await emulator.start();
  });
  afterAll(() => emulator.stop());

  it('builds the REST tarball URL', () => {
    expect(tarballUrl('https://api.github.com/', { owner: 'o', repo: 'r', ref: 'v1' })).toBe(
      'https://api.github.com/repos/o/r/tarball/v1',
    );
  });

  it('follows the redirect to codeload and unwraps the single top-level folder', async () => {
    const dest = join(mkdtempSync(join(tmpdir(), 'eci-dl-')), 'cache', 'Own', 'Act@v1');
    await downloadAction({ owner: 'Own', repo: 'Act', ref: 'v1' }, dest, { apiUrl: emulator.url });
    expect(readFileSync(join(dest, 'action.yml'), 'utf8')).toContain('node20');
    expect(readFileSync(join(dest, 'sub', 'index.js'), 'utf8')).toBe('console.log(1)\n');
  });

  it('says "not found" on 404 and names the URL on a network error', async () => {
    const dest = join(mkdtempSync(join(tmpdir(), 'eci-dl-')), 'x');
    await expect(
      downloadAction({ owner: 'o', repo: 'nope', ref: 'v9' }, dest, { apiUrl: emulator.url }),
    ).rejects.toThrow('action o/nope@v9 not found');
    expect(existsSync(dest)).toBe(false);
    await expect(
      downloadAction({ owner: 'o', repo: 'r', ref: 'v1' }, dest, { apiUrl: 'http://127.0.0.1:1' }),
    ).rejects.toThrow('downloading action o/r@v1 from http://127.0.0.1:1/repos/o/r/tarball/v1 failed');
  });

  it('loadWithRemoteActions downloads each missing action once into a run cache, then loads again', async () => {
    const root = mkdtempSync(join(tmpdir(), 'eci-ws-'));
    mkdirSync(join(root, 'run-cache'));
    const seen: (string | undefined)[] = [];
    const loaded = await loadWithRemoteActions(
      (cache) => {
        seen.push(cache);
        const dir = actionDirectory('Own/Act/sub@v1', root, cache, 'ci.yml:3');
        return { dir } as unknown as LoadedJobs;
      },
      undefined,
      () => 'run-cache',
      root,
      { apiUrl: emulator.url },
    );
    expect(seen).toEqual([undefined, 'run-cache']);
    expect(loaded).toEqual({ dir: 'run-cache/Own/Act@v1/sub' });
    await expect(
      loadWithRemoteActions(
        (cache) => {
          actionDirectory('Own/Act/missing@v1', root, cache, 'ci.yml:3');
          return {} as LoadedJobs;
        },
        'run-cache',
        () => 'unused',
        root,
        { apiUrl: emulator.url },
      ),
    ).rejects.toThrow(
      'run-cache/Own/Act@v1/missing is not in the action cache run-cache: the downloaded Own/Act@v1 has no such directory',
    );
  });
});
