/**
 * Steps over ONE stream per container: a real agent (built through runner/scripts/lib/agent-build.ts, cached) and
 * an exec transport double that runs `eci-agent dial` as a local child process — what an exec into the container
 * does — so ExecDial, the stream endpoint of AgentHttp and runAgentStep are checked against the real bridge and
 * agent: many steps over one exec, a drop resumed on a new exec with every byte once and the true exit code,
 * cancel killing the step's process group, and an agent without `dial` reported as MissingTool.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AGENT, isErrorCode } from '@eci-virtual/contract';
import { ensureAgent } from '../../scripts/lib/agent-build.js';
import type { ExecIo, ExecTransport } from '../kube/exec.js';
import { AgentClient } from './agent/client.js';
import type { AgentSocket } from './agent/endpoint.js';
import { startLocalAgent, type LocalAgent } from './agent/local-agent.js';
import { argvChunks, runAgentStep } from './agent-step.js';
import { dialCommand, ExecDial } from './exec-dial.js';

let binary: string;
let tmp: string;
let agent: LocalAgent;
const pod = { namespace: 'ns', name: 'pod' };

/**
 * Runs what an exec into the container would: `dial` with the container's paths replaced by the local agent's.
 * `drop()` cuts the newest exec the way a lost connection does (the transport rejects, no exit status).
 */
class LocalDialTransport implements ExecTransport {
  readonly commands: string[][] = [];
  private readonly children: ChildProcess[] = [];
  /** Makes the next exec behave like an agent without `dial`. */
  oldAgent = false;

  exec(_pod: { namespace: string; name: string }, _container: string, command: string[], io: ExecIo) {
    this.commands.push(command);
    if (this.oldAgent) {
      io.stderr(Buffer.from('usage:\n  eci-agent install <dir>\n'));
      return Promise.resolve(2);
    }
    const args = command
      .slice(1)
      .map((a) => (a === AGENT.token ? agent.tokenFile : a === dialCommand('job')[3] ? agent.socketPath : a));
    const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.children.push(child);
    io.stdinStream?.pipe(child.stdin);
    child.stdin.on('error', () => undefined);
    child.stdout.on('data', (c: Buffer) => io.stdout(c));
    child.stderr.on('data', (c: Buffer) => io.stderr(c));
    io.signal?.addEventListener('abort', () => child.kill('SIGKILL'), { once: true });
    return new Promise<number>((resolve, reject) =>
      child.on('close', (code, signal) =>
        signal === 'SIGKILL' ? reject(new Error('exec connection dropped')) : resolve(code ?? 1),
      ),
    );
  }

  drop(): void {
    this.children.at(-1)?.kill('SIGKILL');
  }
}

beforeAll(async () => {
  binary = await ensureAgent();
  tmp = mkdtempSync('/tmp/eci-dial-test-');
  agent = await startLocalAgent({ binary, dir: join(tmp, 'a'), env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
}, 180_000);

afterAll(async () => {
  if (agent) await agent.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function connected(transport: ExecTransport) {
  const dial = new ExecDial(transport, { pod, container: 'job' });
  const { token } = await dial.open();
  const sockets: AgentSocket[] = [];
  const connect = async () => {
    const socket = await dial.connect();
    sockets.push(socket);
    return socket;
  };
  const client = new AgentClient({ connect, endpointName: dial.name, token });
  return { dial, client, sockets, close: () => (client.close(), dial.close()) };
}

let n = 0;
const stepDir = () => join(tmp, 'steps', String(++n));

describe('steps over one exec per container', () => {
  it('runs 20 steps, their output, exit codes and file commands over a single exec', async () => {
    const transport = new LocalDialTransport();
    const { dial, client, sockets, close } = await connected(transport);
    try {
      for (let i = 0; i < 20; i++) {
        const dir = stepDir();
        let out = '';
        const run = await runAgentStep(client, {
          id: `step-${i}`,
          dir,
          wrapper: `echo "step ${i}"\necho "n=${i}" >> "${dir}/output"\n: > "${dir}/env"\nexit ${i % 3}\n`,
          onOutput: (c) => (out += c.toString()),
        });
        expect(out).toBe(`step ${i}\n`);
        expect(run).toEqual({ exitCode: i % 3, files: { output: `n=${i}\n` }, outputBytes: out.length });
      }
      expect(dial.execs).toBe(1);
      expect(transport.commands).toEqual([dialCommand('job')]);
      // node:http leaves no listener per request on the long-lived connection (only the pool's own).
      expect(sockets).toHaveLength(1);
      expect(sockets[0]!.listenerCount('timeout')).toBe(1);
    } finally {
      close();
    }
  });

  it('passes a wrapper larger than one argument may be, byte for byte', async () => {
    const { client, close } = await connected(new LocalDialTransport());
    try {
      const dir = stepDir();
      const body = 'ü€😀'.repeat(40_000); // 360 KB of UTF-8, surrogate pairs included
      expect(argvChunks(body).length).toBeGreaterThan(3);
      expect(argvChunks(body).join('')).toBe(body);
      let out = '';
      const run = await runAgentStep(client, {
        id: 'big',
        dir,
        wrapper: `cat > /dev/null <<'EOF'\n${body}\nEOF\nwc -c < "${dir}/wrapper.sh"\n`,
        onOutput: (c) => (out += c.toString()),
      });
      expect(run.exitCode).toBe(0);
      const wrapper = readFileSync(join(dir, 'wrapper.sh'), 'utf8');
      expect(wrapper).toContain(body);
      expect(Number(out.trim())).toBe(Buffer.byteLength(wrapper));
    } finally {
      close();
    }
  });

  it('resumes a dropped stream on a new exec: every line once, the true (failing) exit code', async () => {
    const transport = new LocalDialTransport();
    const { dial, client, close } = await connected(transport);
    try {
      let out = '';
      const running = runAgentStep(client, {
        id: 'drop',
        dir: stepDir(),
        wrapper: 'for i in 1 2 3 4 5 6; do echo "line $i"; sleep 0.1; done\nexit 5\n',
        onOutput: (c) => (out += c.toString()),
      });
      for (let i = 0; !out.includes('line 2') && i < 100; i++) await sleep(20);
      transport.drop();
      const run = await running;
      expect(out).toBe([1, 2, 3, 4, 5, 6].map((i) => `line ${i}\n`).join(''));
      expect(run.exitCode).toBe(5);
      expect(dial.execs).toBe(2);
    } finally {
      close();
    }
  });

  it("cancels: the step's whole process group is killed and the run is Cancelled", async () => {
    const { client, close } = await connected(new LocalDialTransport());
    try {
      const dir = stepDir();
      const abort = new AbortController();
      let out = '';
      const running = runAgentStep(client, {
        id: 'cancel',
        dir,
        wrapper: `sleep 60 & echo $! > "${dir}/bg"\necho started\nwait\n`,
        onOutput: (c) => (out += c.toString()),
        signal: abort.signal,
        graceSeconds: 1,
      });
      for (let i = 0; !out.includes('started') && i < 100; i++) await sleep(20);
      abort.abort();
      await expect(running).rejects.toMatchObject({ code: 'Cancelled' });
      const bg = Number(readFileSync(join(dir, 'bg'), 'utf8'));
      expect(existsSync(`/proc/${bg}`) && !readFileSync(`/proc/${bg}/stat`, 'utf8').includes(') Z')).toBe(false);
      const status = await client.status('cancel');
      expect(status).toMatchObject({ state: 'exited', cancelled: true });
    } finally {
      close();
    }
  });

  it('reports an agent without `dial` as MissingTool, so the caller can fall back to one exec per step', async () => {
    const transport = new LocalDialTransport();
    transport.oldAgent = true;
    const err = await new ExecDial(transport, { pod, container: 'job' }).open().catch((e: unknown) => e);
    expect(isErrorCode(err, 'MissingTool')).toBe(true);
  });
});
