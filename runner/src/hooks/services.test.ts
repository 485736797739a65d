/**
 * Held services started through a real agent (built by runner/scripts/lib/agent-build.ts, run locally as in a pod):
 * the runner's evaluated env reaches the service's main process and never the agent's log or the hook's output; a
 * service that exits at once is named with its exit details; docker's entrypoint/command rules.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureAgent } from '../../scripts/lib/agent-build.js';
import { startLocalAgent, type LocalAgent } from '../step-transport/agent/local-agent.js';
import { containerEnv, mainRequest, serviceArgv, startServices, type HeldService } from './services.js';

const SECRET = 'pg-Secr3t-value-8d2f';
let tmp: string;
let binary: string;
const agents: LocalAgent[] = [];

beforeAll(async () => {
  tmp = mkdtempSync('/tmp/eci-svc-');
  binary = await ensureAgent();
}, 180_000);
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function held(name: string, entrypoint: string[], cmd: string[]): Promise<LocalAgent> {
  const a = await startLocalAgent({
    binary,
    dir: join(tmp, name),
    name,
    hold: true,
    argv: [...entrypoint, ...cmd],
    env: { PATH: '/usr/bin:/bin', FROM_IMAGE: 'image-env' },
  });
  agents.push(a);
  return a;
}

const service = (container: string, image: { entrypoint: string[]; cmd: string[] }, env: Record<string, string>) =>
  ({ container, image, args: { image: `img/${container}:1`, environmentVariables: env } }) as HeldService;

describe('startServices', () => {
  it("starts a held service with the runner's evaluated env on top of its image's, and logs none of it", async () => {
    const image = {
      entrypoint: ['/bin/sh', '-c'],
      cmd: ['echo "PG=$POSTGRES_PASSWORD MODE=$MODE IMG=$FROM_IMAGE GA=$GITHUB_ACTIONS CI=$CI"; exec sleep 30'],
    };
    const a = await held('svc-db', image.entrypoint, image.cmd);
    let hookOut = '';
    await startServices([service('svc-db', image, { POSTGRES_PASSWORD: SECRET, MODE: 'fast' })], () => a.client(), {
      settleMs: 200,
      describeExit: async () => ((hookOut += 'describe called'), undefined),
    });
    for (let i = 0; i < 100 && !a.stdout().includes('PG='); i++) await sleep(20);
    expect(a.stdout()).toContain(`PG=${SECRET} MODE=fast IMG=image-env GA=true CI=true`);
    // The agent's own log (JSON on stderr) names the program and the argument count, never an env value.
    expect(a.stderr()).toContain('main process started');
    expect(a.stderr()).not.toContain(SECRET);
    expect(a.stderr()).not.toContain('fast');
    expect(hookOut).toBe('');
  });

  it('names a service that exits at once, with what describeExit says about it', async () => {
    const image = { entrypoint: ['/bin/sh', '-c'], cmd: ['echo "missing POSTGRES_PASSWORD" >&2; exit 3'] };
    const a = await held('svc-bad', image.entrypoint, image.cmd);
    const err = await startServices([service('svc-bad', image, { OTHER: SECRET })], () => a.client(), {
      settleMs: 300,
      describeExit: async (c) => `${c}: terminated (exit code 3)`,
    }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toContain('service img/svc-bad:1 (container svc-bad) exited right after it started');
    expect(err?.message).toContain('terminated (exit code 3)');
    expect(err?.message).not.toContain(SECRET);
    expect(await a.exited).toBe(3);
  });
});

describe('serviceArgv', () => {
  const image = { entrypoint: ['docker-entrypoint.sh'], cmd: ['postgres'] };
  it('keeps the image default, or applies entrypoint/command as docker create does', () => {
    expect(serviceArgv(service('s', image, {}))).toBeUndefined();
    const withArgs = (args: object) => ({ ...service('s', image, {}), args: { image: 'x', ...args } }) as HeldService;
    // `command` replaces CMD, keeping ENTRYPOINT.
    expect(serviceArgv(withArgs({ entryPointArgs: ['postgres', '-c', 'fsync=off'] }))).toEqual([
      'docker-entrypoint.sh',
      'postgres',
      '-c',
      'fsync=off',
    ]);
    // `entrypoint` replaces ENTRYPOINT and drops CMD.
    expect(serviceArgv(withArgs({ entryPoint: '/bin/server' }))).toEqual(['/bin/server']);
    expect(serviceArgv(withArgs({ entryPoint: '/bin/server', entryPointArgs: ['-v'] }))).toEqual(['/bin/server', '-v']);
  });

  it('refuses an image without a command when the workflow gives none', () => {
    expect(() => mainRequest(service('s', { entrypoint: [], cmd: [] }, {}))).toThrow('has no command');
  });

  it('adds what docker create adds, without overriding CI', () => {
    expect(containerEnv({ A: '1' })).toEqual({ A: '1', GITHUB_ACTIONS: 'true', CI: 'true' });
    expect(containerEnv({ CI: 'false' })).toEqual({ CI: 'false', GITHUB_ACTIONS: 'true' });
  });
});
