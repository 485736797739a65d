/**
 * An in-memory GroupRuntime for unit tests: no images, no processes. A container's command line (`Command` +
 * `Arg`) runs through a small script table — exact command lines the test registers — or, for `sh -c '<script>'`,
 * through the mini shell; an empty command line (the image's own entrypoint) runs until the group is deleted.
 * `timeScale` shrinks every `sleep` so realistic scripts run fast.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { runScript, type ShellIo } from './mini-shell.js';
import type {
  GroupRuntime,
  LogLine,
  RuntimeContainer,
  RuntimeContainerStatus,
  RuntimeExecIo,
  RuntimeGroup,
  RuntimeGroupStatus,
} from './runtime.js';

/** A scripted process: what it prints (with pauses) and how it ends. */
export interface FakeScript {
  steps: ({ out: string } | { err: string } | { sleepSeconds: number })[];
  exitCode: number;
  /** E.g. 'OOMKilled'. */
  reason?: string;
}

export interface FakeRuntimeOptions {
  /** Exact command lines (argv joined by spaces) → behaviour. */
  scripts?: Record<string, FakeScript>;
  /** Multiplies every sleep (default 1). */
  timeScale?: number;
  /** Images that cannot be pulled: creating a group that uses one fails with reason ErrImagePull. */
  badImages?: string[];
}

interface FakeContainer {
  spec: RuntimeContainer;
  status: RuntimeContainerStatus;
  logs: LogLine[];
  partial: { stdout: string; stderr: string };
  abort: AbortController;
}

interface FakeGroup {
  spec: RuntimeGroup;
  init: FakeContainer[];
  app: FakeContainer[];
  ip: string;
  abort: AbortController;
}

export class FakeRuntime implements GroupRuntime {
  private readonly groups = new Map<string, FakeGroup>();
  private nextIp = 2;
  /** Every exec, for assertions. */
  readonly execs: { groupId: string; container: string; command: string[] }[] = [];

  constructor(private readonly opts: FakeRuntimeOptions = {}) {}

  async create(group: RuntimeGroup): Promise<void> {
    if (this.groups.has(group.id)) return;
    for (const c of [...group.initContainers, ...group.containers])
      if (this.opts.badImages?.includes(c.image))
        throw Object.assign(new Error(`manifest for ${c.image} not found: manifest unknown`), {
          reason: 'ErrImagePull',
        });
    const make = (spec: RuntimeContainer): FakeContainer => ({
      spec,
      status: { name: spec.name, state: 'Waiting', reason: 'ContainerCreating', restartCount: 0 },
      logs: [],
      partial: { stdout: '', stderr: '' },
      abort: new AbortController(),
    });
    const n = this.nextIp++;
    this.groups.set(group.id, {
      spec: group,
      init: group.initContainers.map(make),
      app: group.containers.map(make),
      ip: `192.168.${Math.floor(n / 250)}.${(n % 250) + 2}`,
      abort: new AbortController(),
    });
  }

  async start(groupId: string): Promise<void> {
    const g = this.must(groupId);
    void (async () => {
      for (const c of g.init) {
        const code = await this.runContainer(c);
        if (code !== 0 || g.abort.signal.aborted) return;
      }
      await Promise.all(g.app.map((c) => this.runContainer(c)));
    })();
  }

  async delete(groupId: string): Promise<void> {
    const g = this.groups.get(groupId);
    if (!g) return;
    g.abort.abort();
    for (const c of [...g.init, ...g.app]) c.abort.abort();
    this.groups.delete(groupId);
  }

  async status(groupId: string): Promise<RuntimeGroupStatus | undefined> {
    const g = this.groups.get(groupId);
    if (!g) return undefined;
    return {
      initContainers: g.init.map((c) => ({ ...c.status })),
      containers: g.app.map((c) => ({ ...c.status })),
      ip: g.ip,
    };
  }

  async logs(groupId: string, container: string): Promise<LogLine[]> {
    return [...this.container(groupId, container).logs];
  }

  async exec(
    groupId: string,
    container: string,
    command: string[],
    io: RuntimeExecIo,
    signal: AbortSignal,
  ): Promise<number> {
    const c = this.container(groupId, container);
    if (c.status.state !== 'Running') throw new Error(`container ${container} is not running`);
    this.execs.push({ groupId, container, command });
    const both = AbortSignal.any([signal, c.abort.signal]);
    return this.run(command, {
      ...(io.stdin ? { stdin: io.stdin } : {}),
      out: (t) => io.stdout.write(t),
      err: (t) => io.stderr.write(t),
      signal: both,
      sleep: (s) => this.sleep(s, both),
    }).then((r) => r.exitCode);
  }

  /** Ends a running container as the test says (e.g. an OOM kill). */
  terminate(groupId: string, container: string, exitCode: number, reason?: string): void {
    const c = this.container(groupId, container);
    c.abort.abort();
    c.status = {
      ...c.status,
      state: 'Terminated',
      exitCode,
      ...(reason ? { reason } : {}),
      finishTime: new Date(),
    };
  }

  private must(groupId: string): FakeGroup {
    const g = this.groups.get(groupId);
    if (!g) throw new Error(`no such group ${groupId}`);
    return g;
  }

  private container(groupId: string, name: string): FakeContainer {
    const g = this.must(groupId);
    const c = [...g.init, ...g.app].find((x) => x.spec.name === name);
    if (!c) throw new Error(`no container ${name} in ${groupId}`);
    return c;
  }

  private sleep(seconds: number, signal: AbortSignal): Promise<void> {
    const ms = seconds === Infinity ? 2 ** 31 - 1 : seconds * 1000 * (this.opts.timeScale ?? 1);
    return sleep(ms, undefined, { signal }).catch(() => undefined);
  }

  private async runContainer(c: FakeContainer): Promise<number> {
    c.status = { ...c.status, state: 'Running', startTime: new Date() };
    delete c.status.reason;
    const write = (stream: 'stdout' | 'stderr') => (text: string) => {
      const buf = c.partial[stream] + text;
      const lines = buf.split('\n');
      c.partial[stream] = lines.pop()!;
      for (const line of lines) c.logs.push({ time: new Date(), stream, text: line });
    };
    const { exitCode, reason } = await this.run([...c.spec.command, ...c.spec.args], {
      out: write('stdout'),
      err: write('stderr'),
      signal: c.abort.signal,
      sleep: (s) => this.sleep(s, c.abort.signal),
    });
    if (c.status.state === 'Terminated') return c.status.exitCode ?? 137; // ended by terminate()
    c.status = {
      ...c.status,
      state: 'Terminated',
      exitCode: c.abort.signal.aborted ? 137 : exitCode,
      reason: reason ?? (exitCode === 0 ? 'Completed' : 'Error'),
      finishTime: new Date(),
    };
    return c.status.exitCode!;
  }

  private async run(argv: string[], io: ShellIo): Promise<{ exitCode: number; reason?: string }> {
    const scripted = this.opts.scripts?.[argv.join(' ')];
    if (scripted) {
      for (const s of scripted.steps) {
        if (io.signal.aborted) return { exitCode: 137 };
        if ('out' in s) io.out(s.out);
        else if ('err' in s) io.err(s.err);
        else await io.sleep(s.sleepSeconds);
      }
      return { exitCode: scripted.exitCode, ...(scripted.reason ? { reason: scripted.reason } : {}) };
    }
    if (argv.length === 0) {
      await io.sleep(Infinity);
      return { exitCode: 137 };
    }
    const shell = /^(\/bin\/)?(sh|bash)$/.test(argv[0]!) && argv[1] === '-c';
    const script = shell ? (argv[2] ?? '') : argv.map((a) => (/\s/.test(a) ? `'${a}'` : a)).join(' ');
    return { exitCode: await runScript(script, io) };
  }
}
