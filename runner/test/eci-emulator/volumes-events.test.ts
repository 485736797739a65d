/**
 * The emulator's NFS volumes (validation; on the engine, one shared directory per export), spot groups (the
 * SpotToBeReleased notice ahead of the release), OOM kills (memory limit to the engine, OOMKilling event) and the
 * image pull events.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ENGINE_LABEL } from '@eci-virtual/contract';
import type { ParamValue } from '../../src/virtual-node/backends/eci/eci-client.js';
import type { EciContainerGroup } from '../../src/virtual-node/backends/eci/status-mapping.js';
import type { Backend, PodRef, PreparedPod } from '../../src/virtual-node/backends/backend.js';
import { BackendRuntime, preparedPodFor, type NfsExports } from './backend-runtime.js';
import { clientFor, FAST_DELAYS, startEmulator, until } from './fixtures.js';
import { engineNfsExports, exportDir } from './on-engine.js';
import type { RuntimeGroup } from './runtime.js';
import type { EciEmulator } from './server.js';

let emulator: EciEmulator | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await emulator?.stop();
  emulator = undefined;
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function start(...args: Parameters<typeof startEmulator>) {
  const started = await startEmulator(...args);
  emulator = started.emu;
  const client = clientFor(started.emu);
  const describe = async (id: string) =>
    (
      await client.call<{ ContainerGroups: EciContainerGroup[] }>('DescribeContainerGroups', {
        ContainerGroupIds: JSON.stringify([id]),
        WithEvent: true,
      })
    ).ContainerGroups[0]!;
  const create = async (over: Record<string, ParamValue> = {}) =>
    (await client.call<{ ContainerGroupId: string }>('CreateContainerGroup', group(over))).ContainerGroupId;
  return { ...started, client, describe, create };
}

const group = (over: Record<string, ParamValue> = {}): Record<string, ParamValue> => ({
  ContainerGroupName: 'ci-job',
  SecurityGroupId: 'sg-1',
  VSwitchId: 'vsw-1',
  RestartPolicy: 'Never',
  Container: [{ Name: 'job', Image: 'busybox', Command: ['sleep', '30'] }],
  ...over,
});

const nfsVolume = (nfs: Record<string, ParamValue> | undefined) => ({
  Volume: [{ Name: 'share', Type: 'NFSVolume', ...(nfs ? { NFSVolume: nfs } : {}) }],
  Container: [{ Name: 'job', Image: 'busybox', VolumeMount: [{ Name: 'share', MountPath: '/share' }] }],
});

describe('ECI emulator: NFS volumes', () => {
  it('validates NFSVolume like the service: server and an absolute path required', async () => {
    const { create, describe } = await start();
    const err = (over: Record<string, ParamValue>) =>
      create(over).then(
        () => 'accepted',
        (e: Error) => e.message,
      );
    expect(await err(nfsVolume(undefined))).toMatch(/MissingParameter.*Volume.NFSVolume.Server/);
    expect(await err(nfsVolume({ Path: '/ci' }))).toMatch(/MissingParameter.*Volume.1.NFSVolume.Server/);
    expect(await err(nfsVolume({ Server: 'nas.example.com' }))).toMatch(/MissingParameter.*Volume.1.NFSVolume.Path/);
    expect(await err(nfsVolume({ Server: 'nas.example.com', Path: 'ci/cache' }))).toMatch(
      /InvalidParameter.NFSVolume.Path.*absolute/,
    );
    expect(await err(nfsVolume({ Server: 'nas.example.com', Path: '/ci/../etc' }))).toMatch(
      /InvalidParameter.NFSVolume.Path/,
    );
    expect(await err(nfsVolume({ Server: 'nas example', Path: '/ci' }))).toMatch(/InvalidParameter.NFSVolume.Server/);
    expect(await err(nfsVolume({ Server: 'nas.example.com', Path: '/ci', ReadOnly: 'maybe' }))).toMatch(
      /InvalidParameter.*ReadOnly/,
    );
    const id = await create(nfsVolume({ Server: '192.168.0.9', Path: '/ci/cache', ReadOnly: true }));
    expect((await describe(id)).Volumes).toEqual([
      {
        Name: 'share',
        Type: 'NFSVolume',
        NFSVolumeServer: '192.168.0.9',
        NFSVolumePath: '/ci/cache',
        NFSVolumeReadOnly: true,
      },
    ]);
  });

  it('backs each export with one directory on the engine, shared by every pod that mounts it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nfs-test-'));
    dirs.push(dir);
    const calls: { path: string; body: unknown }[] = [];
    const engine = {
      json: async (_m: string, path: string, req?: { body?: unknown }) => calls.push({ path, body: req?.body }),
    };
    const nfs = engineNfsExports({ engine: engine as never, nodeName: 'emu-node', dir });
    const a: PodRef = { namespace: 'eci-emulator', name: 'eci-a', uid: 'aaaaaaaa-1111-2222-3333-444444444444' };
    const b: PodRef = { namespace: 'eci-emulator', name: 'eci-b', uid: 'bbbbbbbb-1111-2222-3333-444444444444' };
    const cache = { server: 'nas.example.com', path: '/ci/cache' };
    await nfs.attach(a, 'share', cache);
    await nfs.attach(b, 'cache', cache);
    await nfs.attach(b, 'other', { server: 'nas.example.com', path: '/ci/other' });
    const device = exportDir(dir, cache);
    expect(device.startsWith(`${dir}/nas.example.com-`)).toBe(true);
    expect(((await stat(device)).mode & 0o777).toString(8)).toBe('777');
    expect(calls).toEqual([
      {
        path: '/volumes/create',
        body: {
          Name: 'evk-aaaaaaaa1111-share',
          Driver: 'local',
          DriverOpts: { type: 'none', o: 'bind', device },
          Labels: {
            [ENGINE_LABEL.node]: 'emu-node',
            [ENGINE_LABEL.uid]: a.uid,
            [ENGINE_LABEL.volume]: 'share',
          },
        },
      },
      {
        path: '/volumes/create',
        body: expect.objectContaining({
          Name: 'evk-bbbbbbbb1111-cache',
          DriverOpts: { type: 'none', o: 'bind', device },
        }),
      },
      {
        path: '/volumes/create',
        body: expect.objectContaining({
          DriverOpts: {
            type: 'none',
            o: 'bind',
            device: exportDir(dir, { server: 'nas.example.com', path: '/ci/other' }),
          },
        }),
      },
    ]);
    expect(exportDir(dir, { server: 'other.example.com', path: '/ci/cache' })).not.toBe(device);
    await engineNfsExports({ engine: engine as never, nodeName: 'n', dir, removeOnClose: true }).close!();
    await expect(stat(dir)).rejects.toThrow(/ENOENT/);
  });
});

/** A Backend that records what BackendRuntime hands it. */
function recordingBackend() {
  const created: PreparedPod[] = [];
  const backend = {
    name: 'recording',
    createPod: async (p: PreparedPod) => void created.push(p),
    deletePod: async () => undefined,
    getPodStatus: async () => undefined,
    containerLogs: async () => Readable.from([]),
  } as unknown as Backend;
  return { backend, created };
}

const runtimeGroup = (over: Partial<RuntimeGroup> = {}): RuntimeGroup => ({
  id: 'eci-1',
  name: 'ci-job',
  restartPolicy: 'Never',
  initContainers: [],
  containers: [
    {
      name: 'job',
      image: 'busybox',
      command: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=256M', 'count=1'],
      args: [],
      env: [],
      stdin: false,
      tty: false,
      ports: [],
      volumeMounts: [
        { name: 'share', mountPath: '/share', readOnly: false },
        { name: 'work', mountPath: '/work', readOnly: false },
      ],
      memoryGiB: 0.031,
    },
  ],
  volumes: [
    { name: 'share', type: 'NFSVolume', nfs: { server: 'nas.example.com', path: '/ci', readOnly: true } },
    { name: 'work', type: 'EmptyDirVolume' },
  ],
  registryCredentials: [],
  ...over,
});

describe('ECI emulator: groups on a backend (BackendRuntime)', () => {
  it('gives the engine the memory limit and NFS exports as emptyDirs the exports back, read-only when asked', () => {
    const prepared = preparedPodFor(runtimeGroup(), 'eci-emulator');
    const c = prepared.pod.spec!.containers[0]!;
    expect(c.resources).toEqual({ limits: { memory: String(Math.round(0.031 * 2 ** 30)) } });
    expect(c.volumeMounts).toEqual([
      { name: 'share', mountPath: '/share', readOnly: true },
      { name: 'work', mountPath: '/work', readOnly: false },
    ]);
    expect(prepared.volumes).toEqual([
      { name: 'share', kind: 'emptyDir' },
      { name: 'work', kind: 'emptyDir' },
    ]);
    const unlimited = runtimeGroup();
    delete unlimited.containers[0]!.memoryGiB;
    expect(preparedPodFor(unlimited, 'ns').pod.spec!.containers[0]!.resources).toBeUndefined();
  });

  it('attaches the NFS exports before the pod is created, and refuses NFS without exports', async () => {
    const { backend, created } = recordingBackend();
    await expect(new BackendRuntime({ backend }).create(runtimeGroup())).rejects.toThrow(
      /NFS volumes are not supported/,
    );
    const attached: { ref: PodRef; volume: string; nfs: unknown; podsCreated: number }[] = [];
    let closed = false;
    const nfs: NfsExports = {
      attach: async (ref, volume, e) =>
        void attached.push({ ref, volume, nfs: { server: e.server, path: e.path }, podsCreated: created.length }),
      close: async () => void (closed = true),
    };
    const runtime = new BackendRuntime({ backend, nfs });
    await runtime.create(runtimeGroup());
    await runtime.start('eci-1');
    expect(created).toHaveLength(1);
    expect(attached).toEqual([
      { ref: created[0]!.ref, volume: 'share', nfs: { server: 'nas.example.com', path: '/ci' }, podsCreated: 0 },
    ]);
    await runtime.close();
    expect(closed).toBe(true);
  });
});

describe('ECI emulator: events', () => {
  it('warns a spot group SpotToBeReleased ahead of its release; other groups expire without the warning', async () => {
    const { emu, runtime, create, describe } = await start({ delays: { ...FAST_DELAYS, spotNoticeMs: 300 } });
    const spot = await create({ ContainerGroupName: 'spot', SpotStrategy: 'SpotAsPriceGo', SpotDuration: 0 });
    const regular = await create({ ContainerGroupName: 'regular' });
    await until(
      async () => (await describe(spot)).Status === 'Running' && (await describe(regular)).Status === 'Running',
    );
    expect(emu.groups.get(spot)!.meta).toMatchObject({ spotStrategy: 'SpotAsPriceGo', spotDuration: 0 });
    const released = emu.groups.expire(spot);
    const noticed = await describe(spot);
    expect(noticed.Status).toBe('Running'); // still running during the notice
    expect(noticed.Events!.filter((e) => e.Reason === 'SpotToBeReleased')).toEqual([
      expect.objectContaining({ Type: 'Warning', Message: 'Spot ECI will be released in 0.3 seconds', Count: 1 }),
    ]);
    const warnedAt = Date.now();
    await released;
    expect(Date.now() - warnedAt).toBeGreaterThanOrEqual(250);
    expect((await describe(spot)).Status).toBe('Expired');
    expect(await runtime.status(spot)).toBeUndefined(); // its containers are gone
    await emu.groups.expire(regular);
    const expired = await describe(regular);
    expect(expired.Status).toBe('Expired');
    expect(expired.Events!.map((e) => e.Reason)).not.toContain('SpotToBeReleased');
  });

  it('validates the spot parameters', async () => {
    const { create } = await start();
    const err = (over: Record<string, ParamValue>) =>
      create(over).then(
        () => 'accepted',
        (e: Error) => e.message,
      );
    expect(await err({ SpotStrategy: 'Cheap' })).toMatch(/InvalidParameter.SpotStrategy/);
    expect(await err({ SpotStrategy: 'SpotWithPriceLimit' })).toMatch(/MissingParameter.*SpotPriceLimit/);
    expect(await err({ SpotStrategy: 'SpotAsPriceGo', SpotDuration: 2 })).toMatch(/InvalidParameter.SpotDuration/);
    expect(await err({ SpotStrategy: 'SpotWithPriceLimit', SpotPriceLimit: 0.2 })).toBe('accepted');
  });

  it('records an OOM kill as OOMKilling with the memory limit, the container Terminated OOMKilled 137', async () => {
    const { create, describe } = await start(
      {},
      { scripts: { hog: { steps: [], exitCode: 137, reason: 'OOMKilled' } } },
    );
    const id = await create({ Container: [{ Name: 'job', Image: 'busybox', Command: ['hog'], Memory: 0.031 }] });
    const done = await until(async () => {
      const g = await describe(id);
      return g.Status === 'Failed' ? g : undefined;
    });
    expect(done.Containers![0]!.CurrentState).toMatchObject({
      State: 'Terminated',
      ExitCode: 137,
      Reason: 'OOMKilled',
    });
    expect(done.Events!.filter((e) => e.Type === 'Warning').map((e) => [e.Reason, e.Message])).toEqual([
      ['OOMKilling', 'Memory cgroup out of memory: killed the process of container job (memory limit 32 MiB)'],
    ]);
  });

  it('names the image pull events as ECI does: Pulling, then Pulled or Failed', async () => {
    const { create, describe } = await start({}, { badImages: ['reg.example.com/missing:1'] });
    const ok = await create({ Container: [{ Name: 'job', Image: 'busybox', Command: ['true'] }] });
    const bad = await create({
      ContainerGroupName: 'bad',
      Container: [{ Name: 'job', Image: 'reg.example.com/missing:1' }],
    });
    const done = await until(async () => {
      const g = await describe(ok);
      return g.Status === 'Succeeded' ? g : undefined;
    });
    expect(done.Events!.map((e) => [e.Reason, e.Message])).toEqual([
      ['Scheduled', expect.stringMatching(/^Successfully assigned/)],
      ['Pulling', 'Pulling image "busybox"'],
      ['Pulled', expect.stringMatching(/^Successfully pulled image "busybox" in \d+\.\d{3}s$/)],
      ['Created', 'Created container job'],
      ['Started', 'Started container job'],
    ]);
    const failed = await until(async () => {
      const g = await describe(bad);
      return g.Events!.some((e) => e.Message === 'Error: ErrImagePull') ? g : undefined;
    });
    expect(failed.Status).toBe('Pending');
    expect(failed.Containers![0]!.CurrentState).toMatchObject({ State: 'Waiting', Reason: 'ErrImagePull' });
    expect(failed.Events!.map((e) => [e.Type, e.Reason, e.Message]).slice(1)).toEqual([
      ['Normal', 'Pulling', 'Pulling image "reg.example.com/missing:1"'],
      [
        'Warning',
        'Failed',
        'Failed to pull image "reg.example.com/missing:1": manifest for reg.example.com/missing:1 not found: manifest unknown',
      ],
      ['Warning', 'Failed', 'Error: ErrImagePull'],
    ]);
  });
});
