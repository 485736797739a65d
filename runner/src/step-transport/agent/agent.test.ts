/**
 * Drives a real agent process (built through runner/scripts/lib/agent-build.ts, cached) through AgentClient: steps,
 * output by offset across dropped connections, cancel, auth, the held main process, limits — and that the binary
 * needs nothing from its image. Also runs `go vet` and `go test` on the agent's sources.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkAgentSources, ensureAgent } from '../../../scripts/lib/agent-build.js';
import { isErrorCode } from '@eci-virtual/contract';
import { AgentClient } from './client.js';
import { startLocalAgent, type LocalAgent } from './local-agent.js';
import type { StepRequest } from './protocol.js';

let binary: string;
let tmp: string;
let agent: LocalAgent;
let client: AgentClient;
let n = 0;
const nextId = () => `s${++n}`;
const AGENT_PATH = process.env.PATH ?? '/usr/bin:/bin';

beforeAll(async () => {
  binary = await ensureAgent();
  tmp = mkdtempSync('/tmp/eci-agent-test-');
  agent = await startLocalAgent({ binary, dir: join(tmp, 'a'), env: { PATH: AGENT_PATH, AGENT_ONLY: 'leak' } });
  client = agent.client();
}, 180_000);

afterAll(async () => {
  client?.close();
  if (agent) expect(await agent.stop()).toBe(0);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function runStep(req: Omit<StepRequest, 'id'>, c = client) {
  const id = nextId();
  const chunks: Buffer[] = [];
  const result = await c.run({ id, ...req }, (chunk) => chunks.push(chunk));
  return { id, result, out: Buffer.concat(chunks).toString('utf8') };
}

const sh = (script: string, ...args: string[]) => ['/bin/sh', '-c', script, 'sh', ...args];

/** A step printing `line 1` … `line <count>`, pausing halfway so part of it is followed live. */
const numbered = (count: number, exitCode = 0) =>
  sh(
    `i=1; while [ $i -le ${count} ]; do echo "line $i"; [ $i -eq ${count / 2} ] && sleep 0.2; i=$((i+1)); done; exit ${exitCode}`,
  );
const expectNumbered = (out: string, count: number) =>
  expect(out).toBe(Array.from({ length: count }, (_, i) => `line ${i + 1}\n`).join(''));

describe('steps', () => {
  it('records output and exit code 0, durably', async () => {
    const { id, result, out } = await runStep({ argv: sh('echo hello; echo oops >&2'), env: {} });
    expect(out).toBe('hello\noops\n');
    expect(result).toMatchObject({ id, state: 'exited', exitCode: 0, bytes: 11 });
    expect(result.signal).toBeUndefined();
    expect(readFileSync(join(result.dir, 'log'), 'utf8')).toBe(out);
    expect(JSON.parse(readFileSync(join(result.dir, 'result'), 'utf8'))).toEqual({ exitCode: 0, bytes: 11 });
  });

  it('reports a non-zero exit code', async () => {
    const { result, out } = await runStep({ argv: sh('echo failing; exit 3'), env: {} });
    expect(out).toBe('failing\n');
    expect(result.exitCode).toBe(3);
  });

  it('passes argv verbatim: spaces and quotes reach the program untouched', async () => {
    const { out } = await runStep({ argv: ['/bin/sh', '-c', 'printf "%s|" "$@"', 'x', 'a b', "'q'"], env: {} });
    expect(out).toBe("a b|'q'|");
  });

  it('gives the step exactly its env plus PATH, nothing of the agent', async () => {
    const env = { A: 'x y', EMPTY: '', MULTI: 'l1\nl2 $HOME "q" \\' };
    const { out, result } = await runStep({ argv: ['env', '-0'], env });
    expect(result.exitCode).toBe(0);
    const entries = out.split('\0').filter(Boolean).sort();
    expect(entries).toEqual(['A=x y', 'EMPTY=', `MULTI=${env.MULTI}`, `PATH=${AGENT_PATH}`]);
  });

  it("starts from the container's own environment with inheritEnv, the step's env on top", async () => {
    const { out } = await runStep({ argv: ['env', '-0'], env: { A: '1', AGENT_ONLY: 'step' }, inheritEnv: true });
    const entries = out.split('\0').filter(Boolean).sort();
    expect(entries).toEqual(['A=1', 'AGENT_ONLY=step', `PATH=${AGENT_PATH}`]);
    const inherited = await runStep({ argv: ['env', '-0'], env: {}, inheritEnv: true, prependPath: ['/p'] });
    expect(inherited.out.split('\0').filter(Boolean).sort()).toEqual(['AGENT_ONLY=leak', `PATH=/p:${AGENT_PATH}`]);
  });

  it('creates symlinks before the step starts, so the working directory may be one; never over a file', async () => {
    const target = join(tmp, 'ws');
    mkdirSync(target);
    const link = join(tmp, 'gh', 'deeper', 'workspace');
    const symlinks = [{ path: link, target }];
    const first = await runStep({ argv: ['pwd'], env: {}, workingDir: link, symlinks });
    expect([first.result.exitCode, first.out]).toEqual([0, `${target}\n`]);
    // Pointed elsewhere by a later step: the existing link is replaced.
    const other = join(tmp, 'ws2');
    mkdirSync(other);
    const again = await runStep({
      argv: ['pwd'],
      env: {},
      workingDir: link,
      symlinks: [{ path: link, target: other }],
    });
    expect(again.out).toBe(`${other}\n`);
    writeFileSync(join(tmp, 'a-file'), 'keep');
    const refused = await runStep({ argv: ['true'], env: {}, symlinks: [{ path: join(tmp, 'a-file'), target }] });
    expect(refused.result.exitCode).toBe(1);
    expect(refused.out).toContain(`cannot link ${join(tmp, 'a-file')}`);
    expect(readFileSync(join(tmp, 'a-file'), 'utf8')).toBe('keep');
    await expect(
      client.startStep({ id: nextId(), argv: ['true'], env: {}, symlinks: [{ path: 'relative', target }] }),
    ).rejects.toMatchObject({ code: 'InvalidInput' });
  });

  it('probes its container without a shell: Alpine or not, and its user', async () => {
    const { out, result } = await runStep({ argv: [join(tmp, 'a', 'install', 'eci-agent'), 'probe'], env: {} });
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(out)).toEqual({
      alpine: existsSync('/etc/alpine-release'),
      uid: process.getuid?.(),
      gid: process.getgid?.(),
    });
  });

  it('puts prependPath in front of PATH in the order given: the first entry wins', async () => {
    const dirs = ['p1', 'p2'].map((d) => {
      const dir = join(tmp, d);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'which-dir'), `#!/bin/sh\necho ${d}\n`, { mode: 0o755 });
      return dir;
    });
    const first = await runStep({ argv: ['which-dir'], env: {}, prependPath: dirs });
    expect(first.out).toBe('p1\n');
    const second = await runStep({ argv: ['which-dir'], env: {}, prependPath: [...dirs].reverse() });
    expect(second.out).toBe('p2\n');
    const path = await runStep({ argv: sh('echo "$PATH"'), env: { PATH: '/usr/bin:/bin' }, prependPath: dirs });
    expect(path.out).toBe(`${dirs.join(':')}:/usr/bin:/bin\n`);
  });

  it('runs in the working directory; a missing program or directory fails like a shell', async () => {
    const wd = await runStep({ argv: ['pwd'], env: {}, workingDir: tmp });
    expect(wd.out).toBe(`${tmp}\n`);
    const missing = await runStep({ argv: ['no-such-program-eci'], env: {} });
    expect(missing.result.exitCode).toBe(127);
    expect(missing.out).toContain('no-such-program-eci: not found');
    const noDir = await runStep({ argv: ['pwd'], env: {}, workingDir: join(tmp, 'absent') });
    expect(noDir.result.exitCode).toBe(1);
    expect(noDir.out).toContain('does not exist');
  });

  it('finishes when the step exits, even if it left a background process holding its output', async () => {
    const started = Date.now();
    const { result, out } = await runStep({ argv: sh('echo before; (sleep 0.6; echo late) &'), env: {} });
    expect(Date.now() - started).toBeLessThan(500);
    expect(result.exitCode).toBe(0);
    expect(out).toBe('before\n');
    const late = join(result.dir, 'late.log');
    for (let i = 0; i < 100 && !(existsSync(late) && readFileSync(late, 'utf8') === 'late\n'); i++) await sleep(20);
    expect(readFileSync(late, 'utf8')).toBe('late\n');
  });

  it('returns the existing step for an identical retry and refuses a different request with the same id', async () => {
    const req = { id: nextId(), argv: sh('exit 0'), env: { K: 'v' } };
    const first = await client.startStep(req);
    const again = await client.startStep(req);
    expect(again.id).toBe(first.id);
    await expect(client.startStep({ ...req, env: { K: 'other' } })).rejects.toMatchObject({ code: 'Conflict' });
    expect((await client.result(req.id)).exitCode).toBe(0);
  });

  it('answers NotFound for an unknown step and InvalidInput for an offset past the log', async () => {
    await expect(client.status('nope')).rejects.toMatchObject({ code: 'NotFound' });
    const { id } = await runStep({ argv: sh('printf abc'), env: {} });
    await expect(client.followOutput(id, 4, () => undefined)).rejects.toMatchObject({ code: 'InvalidInput' });
    await expect(client.startStep({ id: 'x', argv: [], env: {} })).rejects.toMatchObject({ code: 'InvalidInput' });
  });
});

describe('following output by offset', () => {
  it('gives a follower that disconnects mid-output every byte exactly once when it resumes by offset', async () => {
    const id = nextId();
    await client.startStep({ id, argv: numbered(4000), env: {} });
    const chunks: Buffer[] = [];
    let received = 0;
    const abort = new AbortController();
    await expect(
      client.followOutput(
        id,
        0,
        (c) => {
          chunks.push(c);
          received += c.length;
          if (received >= 5_000) abort.abort();
        },
        abort.signal,
      ),
    ).rejects.toMatchObject({ code: 'Cancelled' });
    expect(received).toBeGreaterThan(0);
    const result = await client.followOutput(id, received, (c) => chunks.push(c));
    expectNumbered(Buffer.concat(chunks).toString('utf8'), 4000);
    expect(result.bytes).toBe(Buffer.concat(chunks).length);
  });

  it('resumes by itself when connections keep dropping mid-stream', async () => {
    // A proxy in front of the agent that cuts every connection after 16 KiB of answer.
    const proxyPath = join(tmp, 'cut.sock');
    let cuts = 0;
    const proxy = net.createServer((down) => {
      const up = net.connect(agent.socketPath);
      let sent = 0;
      down.pipe(up);
      up.on('data', (c: Buffer) => {
        // Forward up to the limit, then cut mid-chunk.
        const room = 16_384 - sent;
        sent += c.length;
        if (room < c.length) {
          cuts++;
          if (room > 0) down.write(c.subarray(0, room));
          down.destroy();
          up.destroy();
          return;
        }
        down.write(c);
      });
      up.on('error', () => down.destroy());
      down.on('error', () => up.destroy());
      up.on('close', () => down.destroy());
    });
    await new Promise<void>((r) => proxy.listen(proxyPath, r));
    const flaky = new AgentClient({ socketPath: proxyPath, token: agent.token });
    try {
      const chunks: Buffer[] = [];
      const { result } = await (async () => {
        const id = nextId();
        await flaky.startStep({ id, argv: numbered(20_000, 3), env: {} });
        return { result: await flaky.followOutput(id, 0, (c) => chunks.push(c)) };
      })();
      expectNumbered(Buffer.concat(chunks).toString('utf8'), 20_000);
      expect(result.exitCode).toBe(3); // a failure stays a failure however often the stream dropped
      expect(cuts).toBeGreaterThanOrEqual(5);
    } finally {
      flaky.close();
      proxy.close();
    }
  });
});

describe('cancel', () => {
  it('kills the whole process group: SIGTERM, then SIGKILL after the grace for what ignores it', async () => {
    const id = nextId();
    const pidFile = join(tmp, 'child.pid');
    await client.startStep({
      id,
      argv: sh(`(trap "" TERM; exec sleep 300) & echo $! > ${pidFile}; sleep 300`),
      env: {},
    });
    while (!existsSync(pidFile) || !readFileSync(pidFile, 'utf8').trim()) await sleep(10);
    const child = Number(readFileSync(pidFile, 'utf8'));
    expect(() => process.kill(child, 0)).not.toThrow();
    const cancelled = Date.now();
    await client.cancel(id, 0.5);
    const result = await client.result(id);
    expect(result).toMatchObject({ exitCode: 143, signal: 'SIGTERM', cancelled: true });
    // Reported exited only once the TERM-ignoring child was killed after the grace.
    expect(Date.now() - cancelled).toBeGreaterThanOrEqual(450);
    expect(() => process.kill(child, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
  });
});

describe('users', () => {
  it('opens its socket to every user of the pod (0666, in a sticky 1777 directory) and the token read-only (0444)', () => {
    const mode = (p: string) => statSync(p).mode & 0o7777;
    expect(mode(agent.socketPath)).toBe(0o666);
    expect(mode(dirname(agent.socketPath))).toBe(0o1777);
    expect(mode(dirname(agent.stateDir))).toBe(0o1777);
    expect(mode(agent.tokenFile)).toBe(0o444);
  });

  const root = process.getuid?.() === 0;
  (root ? it : it.skip)('lets a process of another, non-root user drive an agent run by root', () => {
    chmodSync(tmp, 0o755); // mkdtemp's 0700 would keep the other user out before the agent's own modes matter
    const script = `
      const http = require('node:http');
      const token = require('node:fs').readFileSync(process.argv[2], 'utf8').trim();
      const body = JSON.stringify({ id: 'as-nobody', argv: ['true'], env: {} });
      const req = http.request({ socketPath: process.argv[1], method: 'POST', path: '/v1/steps',
        headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' } },
        (res) => { res.resume(); res.on('end', () => process.stdout.write(String(res.statusCode) + ' ' + process.getuid())); });
      req.on('error', (e) => { process.stdout.write('error ' + e.code); });
      req.end(body);`;
    const out = execFileSync(process.execPath, ['-e', script, agent.socketPath, agent.tokenFile], {
      uid: 65534,
      gid: 65534,
      encoding: 'utf8',
    });
    expect(out).toBe('201 65534');
  });
});

describe('auth and limits', () => {
  it('answers 401 without the token or with a wrong one', async () => {
    const status = await new Promise<number>((resolve, reject) =>
      http
        .get({ socketPath: agent.socketPath, path: '/v1/steps/s1' }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', reject),
    );
    expect(status).toBe(401);
    const wrong = new AgentClient({ socketPath: agent.socketPath, token: 'f'.repeat(64) });
    try {
      const err = await wrong.startStep({ id: nextId(), argv: ['true'], env: {} }).catch((e: unknown) => e);
      expect(isErrorCode(err, 'Unauthorized')).toBe(true);
      expect(await wrong.health()).toBe(true); // healthz needs no token
    } finally {
      wrong.close();
    }
  });

  it('bounds running steps and request bodies; shutdown stops running steps and what finished ones left', async () => {
    const limited = await startLocalAgent({
      binary,
      dir: join(tmp, 'limits'),
      flags: ['--max-steps', '1', '--max-body', '2048'],
    });
    const c = limited.client();
    const pidFile = join(tmp, 'leftover.pid');
    try {
      const left = await c.run({ id: 'left', argv: sh(`sleep 300 & echo $! > ${pidFile}`), env: {} }, () => undefined);
      expect(left.exitCode).toBe(0);
      const leftover = Number(readFileSync(pidFile, 'utf8'));
      expect(() => process.kill(leftover, 0)).not.toThrow();
      await c.startStep({ id: 'long', argv: ['sleep', '30'], env: {} });
      await expect(c.startStep({ id: 'second', argv: ['true'], env: {} })).rejects.toMatchObject({
        code: 'Throttled',
      });
      await expect(c.startStep({ id: 'big', argv: ['true'], env: { X: 'x'.repeat(4096) } })).rejects.toMatchObject({
        code: 'InvalidInput',
      });
    } finally {
      c.close();
      expect(await limited.stop()).toBe(0);
    }
    expect(() => process.kill(Number(readFileSync(pidFile, 'utf8')), 0)).toThrow(
      expect.objectContaining({ code: 'ESRCH' }),
    );
  });
});

describe('main process', () => {
  it('holds until POST /v1/main, then exits with the main process exit code', async () => {
    const held = await startLocalAgent({ binary, dir: join(tmp, 'held'), name: 'svc-db', hold: true });
    const c = held.client();
    try {
      await sleep(100);
      expect(held.child.exitCode).toBeNull();
      const st = await c.startMain({ argv: sh('echo "main $SECRET"; exit 7'), env: { SECRET: 's3cr3t' } });
      expect(st.state).toBe('running');
      expect(await held.exited).toBe(7);
      expect(held.stdout()).toBe('main s3cr3t\n');
      expect(held.stderr()).not.toContain('s3cr3t'); // the env is never logged
    } finally {
      c.close();
    }
  });

  it('runs argv after -- at once when not held, and forwards SIGTERM to it', async () => {
    const direct = await startLocalAgent({ binary, dir: join(tmp, 'direct'), argv: sh('sleep 0.5; exit 5') });
    expect(await direct.exited).toBe(5);
    const held = await startLocalAgent({ binary, dir: join(tmp, 'term'), hold: true, argv: ['sleep', '30'] });
    const c = held.client();
    try {
      await c.startMain({ env: { PATH: AGENT_PATH } }); // argv from the command line
      expect(await held.stop()).toBe(143); // sleep killed by the forwarded SIGTERM
      expect(held.stderr()).toContain('"forwarded a signal to the main process"');
    } finally {
      c.close();
    }
  });
});

describe('the binary', () => {
  it('is static: no interpreter (dynamic loader), hence no libc', () => {
    const elf = readFileSync(binary);
    expect(elf.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    const phoff = Number(elf.readBigUInt64LE(0x20));
    const phentsize = elf.readUInt16LE(0x36);
    const types = Array.from({ length: elf.readUInt16LE(0x38) }, (_, i) => elf.readUInt32LE(phoff + i * phentsize));
    expect(types).not.toContain(3); // PT_INTERP
    expect(types).not.toContain(2); // PT_DYNAMIC
  });

  it('serves with an empty environment and runs a step given by absolute path', async () => {
    const truePath = ['/usr/bin/true', '/bin/true'].find((p) => existsSync(p))!;
    const bare = await startLocalAgent({ binary, dir: join(tmp, 'bare'), env: {} });
    const c = bare.client();
    try {
      const { result } = await runStep({ argv: [truePath], env: {} }, c);
      expect(result.exitCode).toBe(0);
    } finally {
      c.close();
      expect(await bare.stop()).toBe(0);
    }
  });

  const root = process.getuid?.() === 0 && existsSync('/usr/sbin/chroot');
  (root ? it : it.skip)('runs in an empty root: only the binary, no shell, no /dev, no /proc', async () => {
    const dir = join(tmp, 'scratch');
    mkdirSync(dir);
    copyFileSync(binary, join(dir, 'eci-agent'));
    writeFileSync(join(dir, 'token'), `${'ab'.repeat(32)}\n`);
    chmodSync(join(dir, 'token'), 0o440);
    const child = spawn(
      '/usr/sbin/chroot',
      [dir, '/eci-agent', 'serve', '--socket', '/s/job.sock', '--token-file', '/token', '--state-dir', '/state'],
      { env: {}, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const c = new AgentClient({ socketPath: join(dir, 's', 'job.sock'), token: 'ab'.repeat(32) });
    try {
      for (let i = 0; i < 200 && !(await c.health()); i++) await sleep(10);
      const { result, out } = await runStep({ argv: ['/eci-agent', 'version'], env: {} }, c);
      expect(result.exitCode).toBe(0);
      expect(out).toMatch(/^eci-agent .* linux\//);
      expect(execFileSync('ls', [dir]).toString().split('\n').filter(Boolean).sort()).toEqual([
        'eci-agent',
        's',
        'state',
        'token',
      ]);
    } finally {
      c.close();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});

describe('Go sources', () => {
  it('pass go vet and go test', async () => {
    await checkAgentSources();
  }, 300_000);
});
