/**
 * Image builds end to end: `eci-virtual run` (the real CLI) runs a workflow on the real control plane, a real
 * virtual node and Podman. Its build job checks out a workspace, reports its placement with ./actions/placement and
 * builds a two-stage Dockerfile (COPY from the workspace, RUN) with ./actions/build-image — real kaniko, unprivileged,
 * in the job pod's kaniko container — pushing to the local registry; a later job runs the built image as a
 * `docker://` step. The same workflow run again hits kaniko's layer cache.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { bundlePath } from '../../scripts/lib/node-process.js';
import { registryDigest as registryDigestOf, writeKanikoWorkspace } from '../../scripts/lib/kaniko-workspace.js';
import { buildProjectImages } from '../../scripts/lib/project-images.js';
import { readTestEnv } from '../harness/env.js';
import { startTestNode, stopTestNode, type TestNode } from '../harness/test-node.js';

jest.setTimeout(600_000);

interface Event {
  event: string;
  [k: string]: unknown;
}
interface StepFinished {
  name: string;
  conclusion: string;
  outputs: Record<string, string>;
  summary?: string;
  error?: string;
}

describe('kaniko builds through actions/build-image', () => {
  let t: TestNode | undefined;
  let ws: string;
  let jobImage: string;
  const env = readTestEnv();
  const tag = `e2e-${Date.now().toString(36)}`;
  const repo = `e2e/kaniko-app`;

  function run(): Promise<{ code: number | null; events: Event[]; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(
        process.execPath,
        [bundlePath, 'run', '.github/workflows/build.yml', '--json', '--namespace', t!.ns, '--node', t!.nodeName],
        {
          cwd: ws,
          env: {
            ...process.env,
            KUBECONFIG: env.kubeconfig,
            ECI_VIRTUAL_DEFAULT_IMAGE: jobImage,
            ECI_VIRTUAL_KANIKO_IMAGE: env.engine.images.kaniko,
          },
        },
      );
      let out = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('close', (code) =>
        resolve({
          code,
          stderr,
          events: out
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as Event),
        }),
      );
    });
  }
  const finished = (events: Event[], name: RegExp) =>
    events.find((e) => e.event === 'step.finished' && name.test(String(e.name))) as unknown as StepFinished | undefined;
  const lines = (events: Event[]) => events.filter((e) => e.event === 'step.output').map((e) => String(e.line));

  beforeAll(async () => {
    jobImage = (
      await buildProjectImages({
        registry: env.engine.registry,
        baseImage: env.engine.images.busybox,
        log: (m) => process.stderr.write(`[kaniko] ${m}\n`),
      })
    ).app;
    t = await startTestNode('kaniko');
    ws = writeKanikoWorkspace({
      registry: env.engine.registry,
      podRegistry: env.engine.podRegistry,
      baseImage: env.engine.images.busybox,
      repo,
      tag,
      // Unique per run, so the first build cannot hit layers an earlier run left.
      cacheRepo: `${env.engine.podRegistry}/${repo}/cache-${tag}`,
    }).dir;
  });

  afterAll(async () => {
    await stopTestNode(t);
    if (ws) rmSync(ws, { recursive: true, force: true });
  });

  const registryDigest = () => registryDigestOf(env.engine.registry, repo, tag);

  let firstDigest = '';

  it('builds with real kaniko in the job pod, pushes, and a later job runs the image; placement is reported', async () => {
    const r = await run();
    const all = lines(r.events);
    expect({ code: r.code, stderr: r.stderr, tail: all.slice(-40) }).toMatchObject({ code: 0, stderr: '' });

    const build = finished(r.events, /build-image/)!;
    expect(build.conclusion).toBe('success');
    const digest = build.outputs.digest ?? '';
    expect(digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(await registryDigest()).toBe(digest);
    firstDigest = digest;
    expect(build.summary).toContain('Image built with kaniko');
    expect(build.summary).toContain(digest);
    expect(all).toContain(`digest=${digest} hits=0 node=virtual`);
    // The RUN really ran and the COPY came from the checked-out workspace: the later job's docker:// step prints it.
    expect(all).toEqual(expect.arrayContaining(['built from the workspace', 'stage one ran']));

    const where = finished(r.events, /placement/)!;
    expect(where.conclusion).toBe('success');
    expect(where.summary).toContain(t!.nodeName);
    expect(where.summary).toMatch(/cpu\s*<\/t[dh]>\s*<td>1</);
    expect(where.summary).toContain('768Mi');
    expect(where.summary).toContain('ecs.c6.large');
    expect(where.summary).toContain('automatic (eci-auto-imc)');
    expect(where.outputs['node-type']).toBe('virtual');
  });

  it('the same build again reuses layers from the cache repository', async () => {
    const r = await run();
    expect(r.code).toBe(0);
    const build = finished(r.events, /build-image/)!;
    expect(Number(build.outputs['cache-hits'])).toBeGreaterThanOrEqual(1);
    expect(build.outputs.digest).toMatch(/^sha256:/);
    expect(await registryDigest()).toBe(build.outputs.digest);
    expect(lines(r.events).some((l) => l.includes('Using caching version of cmd'))).toBe(true);
    process.stderr.write(
      `[kaniko] cold build ${firstDigest.slice(0, 19)}…; cached build ${build.outputs['duration-seconds']} s with ${build.outputs['cache-hits']} cache hits\n`,
    );
  });
});
