import { afterEach, describe, expect, it } from '@jest/globals';
import { PassThrough, type Readable } from 'node:stream';
import { ECI_TAG, InvalidInput, Unauthorized } from '@eci-virtual/contract';
import { createLogger } from '../../../observability/logger.js';
import {
  clientFor,
  FAST_DELAYS,
  NODE,
  preparedPod,
  running,
  startEmulator,
  until,
} from '../../../../test/eci-emulator/fixtures.js';
import type { FakeRuntimeOptions } from '../../../../test/eci-emulator/fake-runtime.js';
import type { EciEmulator } from '../../../../test/eci-emulator/server.js';
import type { BackendEvent, PodRef } from '../backend.js';
import { EciBackend } from './eci-backend.js';
import { PodQuotaExceeded } from './eci-errors.js';

const log = createLogger({}, { level: 'error' });
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(
  emuOpts: Parameters<typeof startEmulator>[0] = {},
  secret?: string,
  runtimeOpts: FakeRuntimeOptions = {},
) {
  const { emu, runtime } = await startEmulator(emuOpts, { timeScale: 1, ...runtimeOpts });
  cleanups.push(() => emu.stop());
  const backend = newBackend(emu, secret);
  const changes: PodRef[] = [];
  const events: BackendEvent[] = [];
  backend.onChange((r) => changes.push(r));
  backend.onEvent((e) => events.push(e));
  return { emu, runtime, backend, changes, events };
}

function newBackend(emu: EciEmulator, secret?: string, pollIntervalMs = 30): EciBackend {
  const backend = new EciBackend({
    client: clientFor(emu, secret),
    node: NODE,
    log,
    pollIntervalMs,
    logPollIntervalMs: 40,
  });
  return running(backend, cleanups);
}

const text = async (stream: Readable) => {
  let s = '';
  for await (const c of stream) s += String(c);
  return s;
};
const signal = () => new AbortController().signal;

describe('EciBackend against the emulator', () => {
  it('creates a pod that runs to Succeeded, with its exit code and each event once', async () => {
    const { backend, emu, changes, events } = await setup();
    const pod = preparedPod([{ command: ['sh', '-c'], args: ['echo start; sleep 0.1; exit 0'] }]);
    await backend.createPod(pod, signal());
    await backend.createPod(pod, signal()); // a retry does not duplicate the group
    const running = await until(async () => {
      const s = await backend.getPodStatus(pod.ref);
      return s?.phase === 'Running' ? s : undefined;
    });
    expect(running.containers[0]).toMatchObject({ name: 'c0', state: 'running' });
    const done = await until(async () => {
      const s = await backend.getPodStatus(pod.ref);
      return s?.phase === 'Succeeded' ? s : undefined;
    });
    expect(done.containers[0]).toMatchObject({ state: 'terminated', exitCode: 0, reason: 'Completed' });
    expect(done.podIP).toMatch(/^192\.168\./);
    expect(emu.count('CreateContainerGroup', 200)).toBe(1);
    expect(emu.groups.size).toBe(1);
    expect(changes.some((r) => r.uid === pod.ref.uid)).toBe(true);
    const reasons = events.filter((e) => e.ref.uid === pod.ref.uid).map((e) => e.reason);
    expect(reasons).toEqual(['Scheduled', 'Pulling', 'Pulled', 'Created', 'Started']);
    expect(events.find((e) => e.reason === 'Started')?.container).toBe('c0');
    const tags = [...emu.groups.groups.values()][0]!.meta.tags;
    expect(tags).toEqual(
      expect.arrayContaining([
        { Key: ECI_TAG.cluster, Value: 'c1' },
        { Key: ECI_TAG.node, Value: 'eci-virtual' },
        { Key: ECI_TAG.uid, Value: pod.ref.uid },
      ]),
    );
  });

  it('polls in batches, not per pod', async () => {
    const { backend, emu } = await setup();
    const pods = Array.from({ length: 25 }, () => preparedPod([{ command: ['sleep', '30'] }]));
    for (const p of pods) await backend.createPod(p, signal());
    await until(async () => (await backend.getPodStatus(pods[24]!.ref))?.phase === 'Running');
    const before = emu.count('DescribeContainerGroups');
    await new Promise((r) => setTimeout(r, 300));
    const describes = emu.count('DescribeContainerGroups') - before;
    // ~10 rounds in 300 ms at 30 ms; per-pod polling would be ~250 calls.
    expect(describes).toBeLessThan(40);
    for (const c of emu.calls.filter((x) => x.action === 'DescribeContainerGroups' && x.params.ContainerGroupIds))
      expect((JSON.parse(c.params.ContainerGroupIds!) as string[]).length).toBeLessThanOrEqual(20);
    expect(emu.count('DescribeContainerGroupStatus')).toBeGreaterThan(0);
  });

  it('follows logs across several polls without duplicates or gaps', async () => {
    const { backend, emu } = await setup();
    const script = Array.from({ length: 40 }, (_, i) => `echo line-${i + 1}; sleep 0.01`).join('; ');
    const pod = preparedPod([{ command: ['sh', '-c', script] }]);
    await backend.createPod(pod, signal());
    await until(async () => (await backend.getPodStatus(pod.ref))?.containers[0]?.state !== 'waiting');
    const followed = await text(
      await backend.containerLogs(pod.ref, 'c0', { follow: true, timestamps: false, previous: false }, signal()),
    );
    expect(followed).toBe(Array.from({ length: 40 }, (_, i) => `line-${i + 1}\n`).join(''));
    expect(emu.count('DescribeContainerLog')).toBeGreaterThan(2);
    const tail = await text(
      await backend.containerLogs(
        pod.ref,
        'c0',
        { follow: false, timestamps: true, tailLines: 2, previous: false },
        signal(),
      ),
    );
    expect(tail).toMatch(/^\S+Z line-39\n\S+Z line-40\n$/);
    const limited = await text(
      await backend.containerLogs(
        pod.ref,
        'c0',
        { follow: true, timestamps: false, limitBytes: 10, previous: false },
        signal(),
      ),
    );
    expect(limited).toBe('line-1\nlin');
    await expect(
      backend.containerLogs(pod.ref, 'nope', { follow: false, timestamps: false, previous: false }, signal()),
    ).rejects.toThrow(/not found/);
  });

  it('stops following when the signal aborts', async () => {
    const { backend } = await setup();
    const pod = preparedPod([{ command: ['sh', '-c', 'echo one; sleep 30'] }]);
    await backend.createPod(pod, signal());
    await until(async () => (await backend.getPodStatus(pod.ref))?.phase === 'Running');
    const abort = new AbortController();
    const stream = await backend.containerLogs(
      pod.ref,
      'c0',
      { follow: true, timestamps: false, previous: false },
      abort.signal,
    );
    setTimeout(() => abort.abort(), 200);
    expect(await text(stream)).toBe('one\n');
  });

  it('execs with stdout, stderr, stdin and the exit code', async () => {
    const { backend, emu } = await setup();
    const pod = preparedPod([{}]); // the image's own command: runs until deleted
    await backend.createPod(pod, signal());
    await until(async () => (await backend.getPodStatus(pod.ref))?.phase === 'Running');
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const code = await backend.exec(
      pod.ref,
      'c0',
      ['sh', '-c', 'echo out; echo err >&2; exit 4'],
      { stdout, stderr, tty: false },
      signal(),
    );
    expect(code).toBe(4);
    expect(await text(stdout.end() as PassThrough)).toBe('out\n');
    expect(await text(stderr.end() as PassThrough)).toBe('err\n');
    const stdin = new PassThrough();
    const echo = new PassThrough();
    const cat = backend.exec(pod.ref, 'c0', ['cat'], { stdin, stdout: echo, tty: false }, signal());
    stdin.end('hello');
    expect(await cat).toBe(0);
    expect(await text(echo.end() as PassThrough)).toBe('hello');
    const calls = emu.count('ExecContainerCommand');
    await expect(
      backend.exec(
        pod.ref,
        'c0',
        Array.from({ length: 21 }, () => 'a'),
        { tty: false },
        signal(),
      ),
    ).rejects.toThrow(/at most 20/);
    await expect(
      backend.exec(pod.ref, 'c0', ['echo', 'x'.repeat(300)], { tty: false }, signal()),
    ).rejects.toBeInstanceOf(InvalidInput);
    expect(emu.count('ExecContainerCommand')).toBe(calls);
    await expect(backend.attach(pod.ref, 'c0')).rejects.toThrow(/attach is not available on ECI/);
  });

  it('deletes idempotently', async () => {
    const { backend, emu } = await setup();
    const pod = preparedPod([{ command: ['sleep', '30'] }]);
    await backend.createPod(pod, signal());
    await backend.deletePod(pod.ref, 30);
    expect(emu.groups.size).toBe(0);
    await backend.deletePod(pod.ref, 30);
    expect(await backend.getPodStatus(pod.ref)).toBeUndefined();
    // A group deleted behind our back: NotFound from ECI is fine too.
    const other = preparedPod([{ command: ['sleep', '30'] }]);
    await backend.createPod(other, signal());
    await emu.groups.delete([...emu.groups.groups.keys()][0]!);
    await backend.deletePod(other.ref, 0);
    expect(emu.count('DeleteContainerGroup', 404)).toBe(1);
  });

  it('copies the start-up events of a group no round saw start before deleting it', async () => {
    // A round every minute: after the describe that follows the create, none before the pod is deleted.
    const { emu } = await setup();
    const backend = newBackend(emu, undefined, 60_000);
    const events: BackendEvent[] = [];
    backend.onEvent((e) => events.push(e));
    const pod = preparedPod([{ command: ['sh', '-c'], args: ['exit 0'] }]);
    await backend.createPod(pod, signal());
    const group = [...emu.groups.groups.values()][0]!;
    await until(async () => group.started || undefined);
    await new Promise((r) => setTimeout(r, 100));
    expect(events).toEqual([]);
    const describes = emu.count('DescribeContainerGroups');
    await backend.deletePod(pod.ref, 0);
    expect(events.map((e) => e.reason)).toEqual(['Scheduled', 'Pulling', 'Pulled', 'Created', 'Started']);
    expect(emu.count('DescribeContainerGroups') - describes).toBe(1);
    // A group seen running has had its events copied by the rounds: its deletion costs no describe.
    const seen = preparedPod([{ command: ['sleep', '30'] }]);
    const other = await setup();
    await other.backend.createPod(seen, signal());
    await until(async () => ((await other.backend.getPodStatus(seen.ref))?.phase === 'Running' ? true : undefined));
    const calls = other.emu.calls.length;
    await other.backend.deletePod(seen.ref, 0);
    expect(other.emu.calls.slice(calls).map((c) => c.action)).not.toContain('DescribeContainerGroups');
  });

  it('adopts its groups after a restart, by tags, without replaying events', async () => {
    const { backend, emu } = await setup();
    const pods = [preparedPod([{ command: ['sleep', '30'] }]), preparedPod([{ command: ['sleep', '30'] }])];
    for (const p of pods) await backend.createPod(p, signal());
    await until(async () => (await backend.getPodStatus(pods[1]!.ref))?.phase === 'Running');
    const restarted = newBackend(emu);
    const events: BackendEvent[] = [];
    restarted.onEvent((e) => events.push(e));
    const refs = await restarted.listPods();
    expect(refs.map((r) => r.uid).sort()).toEqual(pods.map((p) => p.ref.uid).sort());
    expect((await restarted.getPodStatus(pods[0]!.ref))?.phase).toBe('Running');
    await restarted.createPod(pods[0]!, signal()); // already there: no new group
    expect(emu.count('CreateContainerGroup', 200)).toBe(2);
    await new Promise((r) => setTimeout(r, 150));
    expect(events).toEqual([]);
    // Another node's groups are not ours.
    const stranger = new EciBackend({ client: clientFor(emu), node: { ...NODE, nodeName: 'other' }, log });
    expect(await stranger.listPods()).toEqual([]);
  });

  it('retries throttled creates and still creates exactly one group', async () => {
    const { backend, emu } = await setup();
    emu.injectFault({ action: 'CreateContainerGroup', code: 'Throttling.User', times: 2 });
    const pod = preparedPod([{ command: ['sleep', '1'] }]);
    await backend.createPod(pod, signal());
    expect(emu.count('CreateContainerGroup', 400)).toBe(2);
    expect(emu.count('CreateContainerGroup', 200)).toBe(1);
    expect(emu.groups.size).toBe(1);
  });

  it('turns quota exhaustion into a typed, permanent error', async () => {
    const { backend } = await setup({ quota: 1 });
    await backend.createPod(preparedPod([{ command: ['sleep', '1'] }]), signal());
    const err = await backend.createPod(preparedPod([{ command: ['sleep', '1'] }]), signal()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PodQuotaExceeded);
    expect(err).toBeInstanceOf(InvalidInput);
    expect((err as PodQuotaExceeded).reason).toBe('ECIQuotaExceeded');
    expect((err as Error).message).toMatch(/ECI quota exhausted.*ci\/job-\d+.*QuotaExceed/);
  });

  it('refuses privileged containers and hostPath before any API call', async () => {
    const { backend, emu } = await setup();
    const privileged = preparedPod([{ securityContext: { privileged: true } }]);
    await expect(backend.createPod(privileged, signal())).rejects.toThrow(/privileged/);
    const hostPath = preparedPod([{}], { volumes: [{ name: 'docker', hostPath: { path: '/var/run/docker.sock' } }] });
    await expect(backend.createPod(hostPath, signal())).rejects.toBeInstanceOf(InvalidInput);
    expect(emu.calls.filter((c) => c.action === 'CreateContainerGroup')).toEqual([]);
  });

  it('is refused by the emulator with a wrong secret', async () => {
    const { backend, emu } = await setup({}, 'not-the-secret');
    await expect(backend.createPod(preparedPod([{}]), signal())).rejects.toBeInstanceOf(Unauthorized);
    expect(emu.calls.at(-1)).toMatchObject({ status: 400, code: 'SignatureDoesNotMatch' });
    expect(emu.groups.size).toBe(0);
  });

  it('copies the spot reclaim warning while the group still runs, then fails the pod as SpotReclaimed', async () => {
    const { backend, emu, events } = await setup({ delays: { ...FAST_DELAYS, spotNoticeMs: 1_000 } });
    const pod = preparedPod([{ command: ['sleep', '30'] }]);
    pod.pod.metadata!.annotations = { 'k8s.aliyun.com/eci-spot-strategy': 'SpotAsPriceGo' };
    await backend.createPod(pod, signal());
    await until(async () => (await backend.getPodStatus(pod.ref))?.phase === 'Running');
    const [group] = emu.groups.all();
    expect(group!.meta.spotStrategy).toBe('SpotAsPriceGo');
    const released = emu.groups.expire(group!.id);
    const warning = await until(() => events.find((e) => e.reason === 'SpotToBeReleased'));
    expect(warning).toMatchObject({ type: 'Warning', message: 'Spot ECI will be released in 1 second' });
    expect((await backend.getPodStatus(pod.ref))?.phase).toBe('Running'); // warned ahead: the job still runs
    await released;
    const status = await until(async () => {
      const s = await backend.getPodStatus(pod.ref);
      return s?.phase === 'Failed' ? s : undefined;
    });
    expect(status.reason).toBe('SpotReclaimed');
    await new Promise((r) => setTimeout(r, 100));
    expect(events.filter((e) => e.reason === 'SpotToBeReleased')).toHaveLength(1);
  });

  it('reports an OOM kill as OOMKilled (137) and copies the OOMKilling event once, for its container', async () => {
    const { backend, emu, runtime, events } = await setup();
    const pod = preparedPod([{ command: ['sleep', '30'], resources: { limits: { memory: '32Mi' } } }]);
    await backend.createPod(pod, signal());
    await until(async () => (await backend.getPodStatus(pod.ref))?.phase === 'Running');
    const [group] = emu.groups.all();
    expect(group!.spec.containers[0]!.memoryGiB).toBe(0.031);
    runtime.terminate(group!.id, 'c0', 137, 'OOMKilled'); // what the engine reports when the cgroup OOM-kills it
    const done = await until(async () => {
      const s = await backend.getPodStatus(pod.ref);
      return s?.phase === 'Failed' ? s : undefined;
    });
    expect(done.containers[0]).toMatchObject({ state: 'terminated', exitCode: 137, reason: 'OOMKilled' });
    const oom = await until(() => events.find((e) => e.reason === 'OOMKilling'));
    expect(oom).toMatchObject({ ref: pod.ref, type: 'Warning', container: 'c0' });
    expect(oom.message).toBe('Memory cgroup out of memory: killed the process of container c0 (memory limit 32 MiB)');
    await new Promise((r) => setTimeout(r, 150));
    expect(events.filter((e) => e.reason === 'OOMKilling')).toHaveLength(1);
  });

  it('fails a pod whose image cannot be pulled and copies the pull events as ECI names them', async () => {
    const { backend, events } = await setup({}, undefined, { badImages: ['reg.example.com/missing:1'] });
    const pod = preparedPod([{ image: 'reg.example.com/missing:1' }]);
    await backend.createPod(pod, signal());
    const failed = await until(async () => {
      const s = await backend.getPodStatus(pod.ref);
      return s?.phase === 'Failed' ? s : undefined;
    });
    expect(failed).toMatchObject({ reason: 'ErrImagePull', message: expect.stringMatching(/manifest unknown/) });
    await until(() => events.some((e) => e.message === 'Error: ErrImagePull'));
    expect(events.filter((e) => e.ref.uid === pod.ref.uid).map((e) => [e.type, e.reason, e.message])).toEqual([
      ['Normal', 'Scheduled', expect.stringMatching(/^Successfully assigned/)],
      ['Normal', 'Pulling', 'Pulling image "reg.example.com/missing:1"'],
      [
        'Warning',
        'Failed',
        'Failed to pull image "reg.example.com/missing:1": manifest for reg.example.com/missing:1 not found: manifest unknown',
      ],
      ['Warning', 'Failed', 'Error: ErrImagePull'],
    ]);
  });

  it('mounts nfs volumes as NFSVolume volumes of the group', async () => {
    const { backend, emu } = await setup();
    expect(backend.nfsVolumes).toBe(true);
    const pod = preparedPod([{ command: ['sleep', '1'], volumeMounts: [{ name: 'share', mountPath: '/share' }] }], {
      volumes: [{ name: 'share', nfs: { server: 'nas-1.example.com', path: '/ci/cache', readOnly: true } }],
    });
    pod.volumes = [
      { name: 'share', kind: 'nfs', nfs: { server: 'nas-1.example.com', path: '/ci/cache', readOnly: true } },
    ];
    await backend.createPod(pod, signal());
    const [group] = emu.groups.all();
    expect(group!.spec.volumes).toEqual([
      { name: 'share', type: 'NFSVolume', nfs: { server: 'nas-1.example.com', path: '/ci/cache', readOnly: true } },
    ]);
    expect(group!.spec.containers[0]!.volumeMounts).toEqual([{ name: 'share', mountPath: '/share', readOnly: false }]);
  });
});
