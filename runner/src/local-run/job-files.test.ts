import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENT_PATH, jobFilesArchive } from './job-files.js';

describe('the files of "Set up job" (runner: ExecutionContext.cs event.json, ActionManager.cs _work/_actions)', () => {
  it('puts the event at _temp/_github_workflow/event.json and each action below _actions/<owner>/<repo>@<sha>', () => {
    const cache = mkdtempSync(join(tmpdir(), 'eci-jf-'));
    for (const key of ['o.x/a@111', 'p/b@222']) {
      mkdirSync(join(cache, key, 'sub'), { recursive: true });
      writeFileSync(join(cache, key, 'sub', 'action.yml'), key);
    }
    // An owner name that is also a path inside another action must not be moved there.
    mkdirSync(join(cache, 'p/b@222/o.x'), { recursive: true });
    const tar = jobFilesArchive({
      event: '{"ref":"refs/heads/main"}',
      actions: ['o.x/a@111', 'p/b@222'].map((key) => ({ key, dir: join(cache, key) })),
    });
    const out = mkdtempSync(join(tmpdir(), 'eci-jf-out-'));
    expect(spawnSync('tar', ['-x', '-f', '-', '-C', out], { input: tar }).status).toBe(0);
    const list = spawnSync('find', ['.', '-type', 'f'], { cwd: out, encoding: 'utf8' }).stdout.split('\n').sort();
    expect(list.filter(Boolean)).toEqual([
      './_actions/o.x/a@111/sub/action.yml',
      './_actions/p/b@222/sub/action.yml',
      './_temp/_github_workflow/event.json',
    ]);
    expect(spawnSync('find', ['.', '-type', 'd', '-name', 'o.x'], { cwd: out, encoding: 'utf8' }).stdout).toContain(
      './_actions/p/b@222/o.x',
    );
    expect(EVENT_PATH).toBe('/__w/_temp/_github_workflow/event.json');
  });
});
