import { describe, expect, it } from '@jest/globals';
import { CONTAINER, KANIKO_BASE_MARKER } from '@eci-virtual/contract';
import type { V1Pod } from '@kubernetes/client-node';
import { createLogger } from '../../observability/logger.js';
import { hasKaniko, readKanikoBases, type KanikoBasesOptions } from './kaniko-bases.js';

const pod = (containers: string[], name = 'eci-job-7'): V1Pod => ({
  metadata: { name },
  spec: { containers: containers.map((c) => ({ name: c, image: `${c}:1` })) },
});
const BUILDER = pod([CONTAINER.runner, CONTAINER.job, CONTAINER.kaniko]);

type ReadLog = KanikoBasesOptions['kube']['core']['readNamespacedPodLog'];

function setup(readLog: (req: Parameters<ReadLog>[0]) => Promise<string>) {
  const calls: Parameters<ReadLog>[0][] = [];
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({}, { level: 'debug', write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) });
  const kube = {
    core: {
      readNamespacedPodLog: ((req: Parameters<ReadLog>[0]) => {
        calls.push(req);
        return readLog(req);
      }) as ReadLog,
    },
  };
  const opts = (over: Partial<KanikoBasesOptions> = {}): KanikoBasesOptions => ({
    kube,
    namespace: 'ci',
    log,
    job: '7',
    ...over,
  });
  return { calls, lines, opts };
}

describe('readKanikoBases', () => {
  it("reads the kaniko container's log, bounded, and returns the marker lines' images", async () => {
    const { calls, opts } = setup(async () =>
      [
        `${KANIKO_BASE_MARKER}golang:1.23`,
        'noise',
        `${KANIKO_BASE_MARKER}alpine:3.20`,
        `${KANIKO_BASE_MARKER}golang:1.23`,
      ].join('\n'),
    );
    expect(await readKanikoBases(BUILDER, opts())).toEqual(['golang:1.23', 'alpine:3.20']);
    expect(calls).toEqual([
      { namespace: 'ci', name: 'eci-job-7', container: CONTAINER.kaniko, limitBytes: 256 * 1024 },
    ]);
  });

  it('does not ask for a pod without a kaniko container', async () => {
    const { calls, opts } = setup(async () => `${KANIKO_BASE_MARKER}x:1`);
    expect(hasKaniko(pod([CONTAINER.runner, CONTAINER.job]))).toBe(false);
    expect(await readKanikoBases(pod([CONTAINER.runner, CONTAINER.job]), opts())).toEqual([]);
    expect(calls).toHaveLength(0);
  });

  it('gives none, logged at debug with the job and pod, when the log cannot be read', async () => {
    const { lines, opts } = setup(async () => {
      throw new Error('pods "eci-job-7" not found');
    });
    expect(await readKanikoBases(BUILDER, opts())).toEqual([]);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'debug',
        msg: 'could not read the kaniko log; its base images are not recorded',
        job: '7',
        pod: 'eci-job-7',
        err: 'pods "eci-job-7" not found',
      }),
    ]);
  });

  it('gives up after the timeout, so cleanup never waits long', async () => {
    const { lines, opts } = setup(() => new Promise<string>(() => undefined));
    const started = Date.now();
    expect(await readKanikoBases(BUILDER, opts({ timeoutMs: 50 }))).toEqual([]);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(lines).toEqual([expect.objectContaining({ level: 'debug', job: '7', pod: 'eci-job-7', timeoutMs: 50 })]);
  });
});
