import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitHubEmulator } from '../../test/github-emulator/server.js';
import { downloadAction, tarballUrl } from './action-download.js';
import { loadWithRemoteActions } from '../cli/run-command.js';
import type { LoadedJobs } from './from-workflow.js';
import { actionLocation } from '../workflow/local-action.js';
import { ActionCache, commitUrl } from './action-cache.js';

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

  it('loadWithRemoteActions resolves each action the loader misses once, then loads again', async () => {
    const got: string[] = [];
    const cache = {
      get: async (a: { owner: string; repo: string; ref: string }) => {
        got.push(`${a.owner}/${a.repo}@${a.ref}`);
        return { key: `${a.owner}/${a.repo}@sha1`, dir: `/c/${a.owner}/${a.repo}@sha1` };
      },
    };
    const loaded = await loadWithRemoteActions((remote) => {
      const a = actionLocation('Own/Act/sub@v1', remote, 'ci.yml:3');
      const b = actionLocation('Own/Other@v2', remote, 'ci.yml:4');
      return { a, b } as unknown as LoadedJobs;
    }, cache);
    expect(got).toEqual(['Own/Act@v1', 'Own/Other@v2']);
    expect(loaded).toMatchObject({ a: { pod: '/__w/_actions/Own/Act@sha1/sub' }, b: { local: '/c/Own/Other@sha1' } });
  });
});

describe('ActionCache: remote actions by commit, offline re-runs', () => {
  const emulator = new GitHubEmulator({ webhookSecret: 's', runnerHost: '127.0.0.1', host: '127.0.0.1' });
  const v1 = mkdtempSync(join(tmpdir(), 'eci-act-v1-'));
  const v2 = mkdtempSync(join(tmpdir(), 'eci-act-v2-'));
  const sha1 = '1'.repeat(40);
  const sha2 = '2'.repeat(40);
  beforeAll(async () => {
    writeFileSync(join(v1, 'action.yml'), 'name: one\n');
    writeFileSync(join(v2, 'action.yml'), 'name: two\n');
    emulator.registerArchive('o/a', 'main', v1, sha1);
    await emulator.start();
  });
  afterAll(() => emulator.stop());

  it('resolves the ref through "Get a commit", keys the download by SHA, follows a moved ref, and runs offline from what it remembers', async () => {
    expect(commitUrl('https://api.github.com/', { owner: 'o', repo: 'a', ref: 'v1' })).toBe(
      'https://api.github.com/repos/o/a/commits/v1',
    );
    const dir = mkdtempSync(join(tmpdir(), 'eci-action-cache-'));
    const notes: string[] = [];
    const first = await new ActionCache(dir, { apiUrl: emulator.url }, (n) => notes.push(n)).get({
      owner: 'o',
      repo: 'a',
      ref: 'main',
    });
    expect(first).toMatchObject({ sha: sha1, key: `o/a@${sha1}`, dir: join(dir, 'o', `a@${sha1}`) });
    expect(readFileSync(join(first.dir, 'action.yml'), 'utf8')).toBe('name: one\n');
    expect(JSON.parse(readFileSync(join(dir, 'refs.json'), 'utf8'))).toEqual({ 'o/a@main': sha1 });
    // The branch moves: the next run gets the new commit, in a directory of its own.
    emulator.registerArchive('o/a', 'main', v2, sha2);
    const moved = await new ActionCache(dir, { apiUrl: emulator.url }, (n) => notes.push(n)).get({
      owner: 'o',
      repo: 'a',
      ref: 'main',
    });
    expect(moved.dir).toBe(join(dir, 'o', `a@${sha2}`));
    expect(readFileSync(join(moved.dir, 'action.yml'), 'utf8')).toBe('name: two\n');
    expect(notes).toEqual([]);
    // The API unreachable: the commit main resolved to last time, from the cache, and a note saying so.
    const offline = await new ActionCache(dir, { apiUrl: 'http://127.0.0.1:1' }, (n) => notes.push(n)).get({
      owner: 'o',
      repo: 'a',
      ref: 'main',
    });
    expect(offline.dir).toBe(moved.dir);
    expect(notes).toEqual([
      expect.stringContaining(
        `o/a@main: used the action cache (commit ${sha2}): resolving action o/a@main at http://127.0.0.1:1/repos/o/a/commits/main failed`,
      ),
    ]);
    // Never resolved: offline is an error naming the URL.
    await expect(
      new ActionCache(dir, { apiUrl: 'http://127.0.0.1:1' }, () => undefined).get({ owner: 'o', repo: 'a', ref: 'v9' }),
    ).rejects.toThrow('resolving action o/a@v9 at http://127.0.0.1:1/repos/o/a/commits/v9 failed');
    // An unknown ref is "not found" (422 from "Get a commit").
    await expect(
      new ActionCache(dir, { apiUrl: emulator.url }, () => undefined).get({ owner: 'o', repo: 'a', ref: 'nope' }),
    ).rejects.toThrow('action o/a@nope not found');
  });
});
