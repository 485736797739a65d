import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Cancelled, Unavailable } from '@eci-virtual/contract';
import { KANIKO_BASE_MARKER, kanikoBaseImagesFromLog, spoolAgentCommand } from '@eci-virtual/contract';
import { agentAlive, runSpooled } from './spool-client.js';

let agent: ChildProcess | undefined;
let dir: string;

let agentStdout = '';

async function startAgent(below = 'spool'): Promise<string> {
  dir = await mkdtemp(join(tmpdir(), 'eci-spool-'));
  const spool = join(dir, below);
  const [cmd, ...args] = spoolAgentCommand('/bin/sh', spool);
  agentStdout = '';
  agent = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'ignore'] });
  agent.stdout!.on('data', (c: Buffer) => (agentStdout += c.toString()));
  for (let i = 0; i < 100 && !(await agentAlive(spool)); i++) await new Promise((r) => setTimeout(r, 20));
  return spool;
}

afterEach(async () => {
  agent?.kill('SIGTERM');
  agent = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
});

const collect = () => {
  const chunks: Buffer[] = [];
  return { onOutput: (c: Buffer) => chunks.push(c), text: () => Buffer.concat(chunks).toString() };
};

describe('spool agent + client (real /bin/sh)', () => {
  it('leaves every directory from its spool up to below the root world-writable and sticky (steps of any user)', async () => {
    // As in a pod: /__w/_temp/_eci/spool/kaniko — a non-root job container must be able to write into _temp.
    const spool = await startAgent('_temp/_eci/spool/kaniko');
    for (const d of [spool, join(dir, '_temp/_eci/spool'), join(dir, '_temp/_eci'), join(dir, '_temp'), dir])
      expect(((await stat(d)).mode & 0o7777).toString(8)).toBe('1777');
  });

  it('runs a request and returns its output and exit code', async () => {
    const spool = await startAgent();
    const out = collect();
    const r = await runSpooled({ spoolDir: spool, script: 'echo one; sleep 0.3; echo two >&2; exit 7', ...out });
    expect(r.exitCode).toBe(7);
    expect(out.text()).toBe('one\ntwo\n');
    expect(r.outputBytes).toBe(8);
  });

  it('runs concurrent requests one after another, never overlapping', async () => {
    const spool = await startAgent();
    const lock = join(dir, 'lock');
    const script = `mkdir ${lock} || { echo overlap; exit 1; }; sleep 0.3; rmdir ${lock}; echo done`;
    const a = collect();
    const b = collect();
    const [ra, rb] = await Promise.all([
      runSpooled({ spoolDir: spool, script, ...a }),
      runSpooled({ spoolDir: spool, script, ...b }),
    ]);
    expect([ra.exitCode, rb.exitCode]).toEqual([0, 0]);
    expect(a.text() + b.text()).toBe('done\ndone\n');
  });

  it('cancels: the script gets SIGTERM and the client reports Cancelled', async () => {
    const spool = await startAgent();
    const ac = new AbortController();
    const out = collect();
    const run = runSpooled({
      spoolDir: spool,
      script: 'trap "echo got-term; exit 143" TERM; echo started; while :; do sleep 0.1; done',
      signal: ac.signal,
      ...out,
    });
    await new Promise((r) => setTimeout(r, 500));
    ac.abort();
    await expect(run).rejects.toBeInstanceOf(Cancelled);
    expect(out.text()).toContain('started');
  });

  it("prints the base images a request's kaniko output retrieved on its own stdout, before the result", async () => {
    const spool = await startAgent();
    const out = collect();
    const script = [
      `echo 'time="2026-11-22T16:44:40Z" level=info msg="Retrieving image manifest golang:1.23"'`,
      `printf '\\033[36mINFO\\033[0m[0002] Retrieving image manifest alpine:3.20 \\n'`,
      `echo 'time="2026-11-22T16:44:41Z" level=info msg="Retrieving image manifest golang:1.23"'`,
      'exit 1',
    ].join('; ');
    const r = await runSpooled({ spoolDir: spool, script, ...out });
    expect(r.exitCode).toBe(1);
    for (let i = 0; i < 50 && !agentStdout.includes('golang'); i++) await new Promise((res) => setTimeout(res, 20));
    expect(kanikoBaseImagesFromLog(agentStdout).sort()).toEqual(['alpine:3.20', 'golang:1.23']);
    // The request's own output is unchanged: the markers go to the agent's stdout (the container's log) only.
    expect(out.text()).not.toContain(KANIKO_BASE_MARKER);
  });

  it('fails at once, with the helper named, when no agent runs', async () => {
    dir = await mkdtemp(join(tmpdir(), 'eci-spool-'));
    const err = await runSpooled({
      spoolDir: join(dir, 'none'),
      script: 'true',
      onOutput: () => undefined,
      helper: 'the kaniko container',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Unavailable);
    expect(String(err)).toContain('the kaniko container is not running');
  });
});
