/**
 * Base images kaniko pulls, learnt by the controller: a job that builds images (the repository's settings turn the
 * kaniko container on) runs through the real controller on the test cluster's virtual node. Its step hands the pod's
 * kaniko container — the real kaniko image, its spool agent on its own busybox — a request whose output is kaniko's
 * `Retrieving image manifest` records in both log formats (no real build: what is checked is the way the images
 * travel, not kaniko). When the runner finishes, the controller reads the kaniko container's log before cleanup, adds
 * the images to the job's record as `kaniko-base`, the job history's image uses carry them, and the image-cache
 * autopilot (docker backend, passes every 2 s) learns them without caching them: the portal's
 * `/v1/image-cache/autopilot` shows each with its use and the reason.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { readFileSync } from 'node:fs';
import type { AutopilotResponse } from '@eci-virtual/contract';
import { ControllerStack, PORTAL_TOKEN } from '../harness/controller-stack.js';
import { readTestEnv } from '../harness/env.js';
import { startTestNode, stopTestNode, type TestNode } from '../harness/test-node.js';
import { until } from '../harness/until.js';

jest.setTimeout(300_000);

const REPO = 'octo-org/kaniko-bases';
const REASON = 'kaniko base image: learned; kaniko pulls it itself, a cache cannot serve it';

/** The step: one request to the kaniko container over the spool (contract spool-agent.ts), its result printed. */
const STEP = String.raw`set -e
s=/__w/_temp/_eci/spool/kaniko
for i in $(seq 1 150); do [ -f $s/.agent ] && break; sleep 0.2; done
w=/__w/_temp/req-1.tmp
mkdir -p $w
cat > $w/wrapper.sh <<'REQ'
echo 'time="2026-12-06T03:00:00Z" level=info msg="Retrieving image manifest golang:1.23"'
printf '\033[36mINFO\033[0m[0001] Retrieving image manifest alpine:3.20 \n'
echo 'time="2026-12-06T03:00:01Z" level=info msg="Retrieving image manifest scratch"'
echo 'time="2026-12-06T03:00:02Z" level=info msg="Retrieving image manifest golang:1.23"'
REQ
mv $w $s/req-1
for i in $(seq 1 150); do [ -f $s/req-1/result ] && break; sleep 0.2; done
echo "request exited with $(cat $s/req-1/result)"`;

describe('base images kaniko pulls, through the controller', () => {
  let t: TestNode | undefined;
  let stack: ControllerStack | undefined;
  const env = readTestEnv();

  beforeAll(async () => {
    t = await startTestNode('kbase');
    stack = new ControllerStack({
      repo: REPO,
      namespace: t.ns,
      nodeName: t.nodeName,
      extraConfig: {
        kaniko: { image: env.engine.images.kaniko },
        imageCacheAutopilot: {
          enabled: true,
          backend: 'docker',
          intervalSeconds: 2,
          docker: { host: env.engine.dockerHost },
        },
      },
    });
    await stack.start();
  });

  afterAll(async () => {
    await stack?.stop();
    await stopTestNode(t);
  });

  it("records the kaniko container's base images as kaniko-base, and the autopilot learns them without caching", async () => {
    const { busybox } = env.engine.images;
    const job = await stack!.emulator.queueJob({
      repo: REPO,
      workflowPath: '.github/workflows/build.yml',
      workflowText: [
        'name: Build',
        'on: push',
        'jobs:',
        '  image:',
        '    runs-on: [self-hosted, eci-virtual]',
        `    container: { image: "${busybox}" }`,
        '    steps:',
        '      - run: make image',
        '',
      ].join('\n'),
      files: { '.github/eci-virtual.yml': 'imageCache:\n  kaniko: { enabled: true }\n' },
      name: 'image',
      labels: ['self-hosted', 'eci-virtual'],
      message: { container: { image: busybox }, steps: [{ kind: 'script', name: 'build', run: STEP }] },
    });
    await until(async () => expect(stack!.emulator.state.jobs.get(job.id)!.status).toBe('completed'), 180_000, 250);
    const done = stack!.emulator.state.jobs.get(job.id)!;
    expect({ conclusion: done.conclusion, results: done.results }).toMatchObject({ conclusion: 'success' });
    expect(done.results.map((r) => r.log).join('\n')).toContain('request exited with 0');

    // The controller read the kaniko container's log before cleanup and wrote the images into the job's record.
    await until(
      async () => expect(readFileSync(stack!.logFile, 'utf8')).toContain('"msg":"kaniko base images recorded"'),
      60_000,
      250,
    );
    const recorded = readFileSync(stack!.logFile, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"msg":"kaniko base images recorded"'))
      .map((l) => JSON.parse(l) as { job: string; images: string[] });
    expect(recorded).toEqual([
      expect.objectContaining({ job: String(job.id), images: ['alpine:3.20', 'golang:1.23'] }),
    ]);

    // From the job history, the autopilot learnt them, each with its one use, and cached neither.
    await until(
      async () => {
        const res = await fetch(`${stack!.url}/v1/image-cache/autopilot?repo=${REPO}`, {
          headers: { Authorization: `Bearer ${PORTAL_TOKEN}` },
        });
        const view = (await res.json()) as AutopilotResponse;
        const learnt = view.decisions.filter((d) => d.reason === REASON);
        expect(learnt.map((d) => [d.action, d.images, d.uses]).sort()).toEqual([
          ['skip', ['alpine:3.20'], 1],
          ['skip', ['golang:1.23'], 1],
        ]);
        expect(view.decisions.filter((d) => d.action === 'create')).toEqual([]);
      },
      60_000,
      500,
    );
  });
});
