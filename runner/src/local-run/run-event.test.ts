import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readLocalGit, repositoryFromRemote, runEvent } from './run-event.js';

function repo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'eci-event-'));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();
  git('init', '-q', '-b', 'feature/x');
  git('config', 'user.name', 'Ada');
  git('config', 'user.email', 'ada@example.com');
  git('remote', 'add', 'origin', 'git@github.com:acme/widgets.git');
  writeFileSync(join(dir, 'f'), 'x');
  git('add', 'f');
  git('commit', '-q', '-m', 'first line\n\nbody');
  return dir;
}

describe('the run event', () => {
  it('defaults to a push of the local HEAD: ref, sha, repository, head_commit', () => {
    const dir = repo();
    const sha = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();
    const local = readLocalGit(dir);
    expect(local).toMatchObject({ sha, ref: 'refs/heads/feature/x', remoteRepository: 'acme/widgets' });
    const ev = runEvent({}, local, 'acme/widgets');
    expect(ev).toMatchObject({ name: 'push', sha, ref: 'refs/heads/feature/x', actor: 'eci-virtual' });
    expect(ev.payload).toMatchObject({
      ref: 'refs/heads/feature/x',
      after: sha,
      repository: { full_name: 'acme/widgets', name: 'widgets', owner: { login: 'acme' } },
      head_commit: { id: sha, message: 'first line\n\nbody', author: { name: 'Ada', email: 'ada@example.com' } },
    });
  });

  it('outside a git repository: no sha or ref, still a push payload', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eci-event-'));
    expect(readLocalGit(dir)).toEqual({});
    expect(runEvent({}, {}, 'local/x')).toMatchObject({ name: 'push', sha: '0'.repeat(40), ref: '' });
  });

  it('takes sha, ref, head/base refs and actor from a given payload the way the event defines them', () => {
    const local = { sha: 'f'.repeat(40), ref: 'refs/heads/main' };
    const push = runEvent({ payload: { ref: 'refs/tags/v1', after: 'a'.repeat(40) } }, local, 'o/n');
    expect(push).toMatchObject({ sha: 'a'.repeat(40), ref: 'refs/tags/v1' });
    const pr = runEvent(
      {
        name: 'pull_request',
        payload: {
          number: 7,
          pull_request: { head: { ref: 'topic' }, base: { ref: 'main' } },
          sender: { login: 'bob' },
        },
      },
      local,
      'o/n',
    );
    expect(pr).toMatchObject({
      sha: local.sha,
      ref: 'refs/pull/7/merge',
      headRef: 'topic',
      baseRef: 'main',
      actor: 'bob',
    });
    expect(runEvent({ name: 'workflow_dispatch' }, local, 'o/n').payload).toMatchObject({
      repository: { full_name: 'o/n' },
    });
    expect(() => runEvent({ name: 'Push!' }, local, 'o/n')).toThrow(/--event expects an event name/);
  });

  it('reads owner/name from the usual remote URL forms', () => {
    expect(repositoryFromRemote('https://github.com/acme/app.git')).toBe('acme/app');
    expect(repositoryFromRemote('https://github.com/acme/app')).toBe('acme/app');
    expect(repositoryFromRemote('ssh://git@github.example.com:2222/acme/app.git')).toBe('acme/app');
    expect(repositoryFromRemote('git@github.com:acme/app.git')).toBe('acme/app');
    expect(repositoryFromRemote('/srv/git/app.git')).toBeUndefined();
  });
});
