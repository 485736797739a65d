/**
 * pushTree/pullTree against a real agent (built through runner/scripts/lib/agent-build.ts, cached) whose files root
 * stands for the workload pod's /__w: incremental pushes, file commands coming back, refusals.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { ensureAgent } from '../../scripts/lib/agent-build.js';
import type { AgentClient } from '../step-transport/agent/client.js';
import { startLocalAgent, type LocalAgent } from '../step-transport/agent/local-agent.js';
import { pullTree, pushTree, SYNC_PLAN, TarCounter } from './workspace-sync.js';

let tmp: string;
let agent: LocalAgent;
let client: AgentClient;
/** The runner's work folder (`_work`) and the workload pod's (`/__w`). */
let local: string;
let remote: string;

beforeAll(async () => {
  const binary = await ensureAgent();
  tmp = mkdtempSync('/tmp/eci-sync-test-');
  local = join(tmp, '_work');
  remote = join(tmp, 'w');
  mkdirSync(local);
  agent = await startLocalAgent({ binary, dir: join(tmp, 'a'), flags: ['--files-root', remote] });
  client = agent.client();
}, 180_000);

afterAll(async () => {
  client?.close();
  if (agent) expect(await agent.stop()).toBe(0);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const write = (path: string, content: string, mode = 0o644) => {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content, { mode });
};

describe('pushTree', () => {
  it('sends everything first, then only what changed; modes, links and exclusions hold', async () => {
    const dir = join(local, '_actions');
    write(join(dir, 'actions/checkout/v4/action.yml'), 'name: checkout');
    write(join(dir, 'actions/checkout/v4/dist/index.js'), 'x'.repeat(5000));
    write(join(dir, 'actions/setup-node/v4/run.sh'), '#!/bin/sh\n', 0o755);
    symlinkSync('v4', join(dir, 'actions/checkout/latest'));
    write(join(dir, 'skip/me'), 'no');
    const opts = { manifestFile: join(tmp, 'manifests/actions.json'), exclude: ['skip'] };
    const target = join(remote, '_actions');

    expect(await pushTree(client, dir, target, opts)).toEqual({ files: 4, bytes: 14 + 5000 + 10 });
    expect(readFileSync(join(target, 'actions/checkout/v4/dist/index.js'), 'utf8')).toHaveLength(5000);
    expect(lstatSync(join(target, 'actions/setup-node/v4/run.sh')).mode & 0o777).toBe(0o755);
    expect(readlinkSync(join(target, 'actions/checkout/latest'))).toBe('v4');
    expect(existsSync(join(target, 'skip'))).toBe(false);

    // Unchanged: no request at all.
    expect(await pushTree(client, dir, target, opts)).toEqual({ files: 0, bytes: 0 });

    // One file edited (same size, new mtime), one added, one chmod'ed: exactly those go.
    writeFileSync(join(dir, 'actions/checkout/v4/action.yml'), 'name: CHECKOUT');
    utimesSync(join(dir, 'actions/checkout/v4/action.yml'), new Date(), new Date(Date.now() + 5000));
    write(join(dir, 'actions/cache/v4/action.yml'), 'name: cache');
    execFileSync('chmod', ['0700', join(dir, 'actions/checkout/v4/dist/index.js')]);
    expect(await pushTree(client, dir, target, opts)).toEqual({ files: 3, bytes: 14 + 11 + 5000 });
    expect(readFileSync(join(target, 'actions/checkout/v4/action.yml'), 'utf8')).toBe('name: CHECKOUT');
    expect(readFileSync(join(target, 'actions/cache/v4/action.yml'), 'utf8')).toBe('name: cache');
    expect(lstatSync(join(target, 'actions/checkout/v4/dist/index.js')).mode & 0o777).toBe(0o700);

    // A manifest for another remote dir does not count: everything goes there.
    expect((await pushTree(client, dir, join(remote, 'other'), opts)).files).toBe(5);
  });

  it('pushes nothing for a missing local dir', async () => {
    const opts = { manifestFile: join(tmp, 'manifests/tool.json') };
    expect(await pushTree(client, join(local, '_tool'), join(remote, '_tool'), opts)).toEqual({ files: 0, bytes: 0 });
  });

  it('is refused outside the agent’s roots, and then keeps its manifest', async () => {
    const dir = join(local, 'outside-test');
    write(join(dir, 'f'), 'f');
    const opts = { manifestFile: join(tmp, 'manifests/outside.json') };
    await expect(pushTree(client, dir, join(tmp, 'elsewhere'), opts)).rejects.toMatchObject({ code: 'Forbidden' });
    await expect(pushTree(client, dir, join(remote, '../elsewhere'), opts)).rejects.toMatchObject({
      code: 'Forbidden',
    });
    expect(existsSync(opts.manifestFile)).toBe(false);
    expect(existsSync(join(tmp, 'elsewhere'))).toBe(false);
  });
});

describe('pullTree', () => {
  it('brings the file commands of a step back', async () => {
    // Before the step, the runner creates empty file-command files (FileCommandManager.InitializeFiles) in _temp.
    const temp = join(local, '_temp');
    const commands = join(temp, '_runner_file_commands');
    const names = ['add_path_', 'set_env_', 'step_summary_', 'save_state_', 'set_output_'].map((p) => `${p}1a2b`);
    for (const n of names) write(join(commands, n), '');
    write(join(temp, 'b0f1.sh'), 'echo "greeting=hi" >> "$GITHUB_OUTPUT"\n');
    const opts = { manifestFile: join(tmp, 'manifests/temp.json') };
    expect((await pushTree(client, temp, join(remote, '_temp'), opts)).files).toBe(6);

    // The step runs in the workload pod, against its copy.
    const remoteCommands = join(remote, '_temp/_runner_file_commands');
    const step = await client.run(
      {
        id: 'step1',
        argv: ['/bin/sh', join(remote, '_temp/b0f1.sh')],
        env: {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          GITHUB_OUTPUT: join(remoteCommands, 'set_output_1a2b'),
        },
      },
      () => undefined,
    );
    expect(step.exitCode).toBe(0);
    writeFileSync(join(remoteCommands, 'set_env_1a2b'), 'FOO=bar\n');
    writeFileSync(join(remoteCommands, 'step_summary_1a2b'), '# done\n');

    expect(await pullTree(client, remoteCommands, commands)).toEqual({ files: 5, bytes: 12 + 8 + 7 });
    expect(readFileSync(join(commands, 'set_output_1a2b'), 'utf8')).toBe('greeting=hi\n');
    expect(readFileSync(join(commands, 'set_env_1a2b'), 'utf8')).toBe('FOO=bar\n');
    expect(readFileSync(join(commands, 'step_summary_1a2b'), 'utf8')).toBe('# done\n');
  });

  it('replaces a local link instead of writing through it, and keeps local-only entries', async () => {
    const victim = join(tmp, 'victim');
    writeFileSync(victim, 'untouched');
    const into = join(local, 'pulled');
    mkdirSync(into);
    symlinkSync(victim, join(into, 'set_output_1a2b'));
    write(join(into, 'local-only'), 'kept');
    await pullTree(client, join(remote, '_temp/_runner_file_commands'), into);
    expect(readFileSync(victim, 'utf8')).toBe('untouched');
    expect(readFileSync(join(into, 'set_output_1a2b'), 'utf8')).toBe('greeting=hi\n');
    expect(readFileSync(join(into, 'local-only'), 'utf8')).toBe('kept');
  });

  it('is refused outside the agent’s roots and for a missing dir', async () => {
    await expect(pullTree(client, '/etc', join(local, 'etc'))).rejects.toMatchObject({ code: 'Forbidden' });
    await expect(pullTree(client, join(remote, 'missing'), join(local, 'm'))).rejects.toMatchObject({
      code: 'NotFound',
    });
    expect(existsSync(join(local, 'etc'))).toBe(false);
  });
});

describe('TarCounter', () => {
  it('counts entries of GNU tar archives with long names and links', () => {
    const dir = join(tmp, 'counted');
    const long = `${'d'.repeat(120)}/${'f'.repeat(150)}`;
    write(join(dir, long), 'abc');
    write(join(dir, 'small'), '12345');
    symlinkSync('small', join(dir, 'link'));
    const archive = execFileSync('tar', ['-c', '-f', '-', '-C', dir, '.']);
    const counter = new TarCounter();
    counter.write(archive.subarray(0, 700));
    counter.write(archive.subarray(700));
    expect(counter.result()).toEqual({ files: 3, bytes: 8 });
  });
});

describe('SYNC_PLAN', () => {
  it('pushes _temp, _actions and _tool before steps and pulls the file commands after', () => {
    const pushed = SYNC_PLAN.filter((i) => i.direction === 'push' && i.when === 'before-step').map((i) => i.path);
    expect(pushed).toEqual(expect.arrayContaining(['_temp', '_actions', '_tool']));
    expect(SYNC_PLAN).toContainEqual(
      expect.objectContaining({ path: '_temp/_runner_file_commands', direction: 'pull', when: 'after-step' }),
    );
  });
});
