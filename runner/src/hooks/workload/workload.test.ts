import { describe, expect, it } from '@jest/globals';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { V1Pod } from '@kubernetes/client-node';
import { sameImage } from '../prepare-job.js';
import { askForWorkload, controllerEndpoint, jobHints } from './controller-client.js';
import { imagesMatch } from './prepare-remote.js';
import { workspaceOf } from './sync.js';

const pod: V1Pod = {
  spec: {
    containers: [
      { name: 'runner', image: 'runner' },
      { name: 'job', image: 'busybox:1' },
      { name: 'svc-a', image: 'redis:7' },
      { name: 'svc-b', image: 'redis:7' },
    ],
  },
};

describe('routing a job', () => {
  it("uses the runner's own pod only for its images (services as a multiset) and without credentials", () => {
    const svc = (image: string) => ({ image });
    expect(
      imagesMatch(pod, { container: { image: 'busybox:1' }, services: [svc('redis:7'), svc('redis:7')] }, sameImage),
    ).toBe(true);
    expect(imagesMatch(pod, { container: { image: 'docker.io/library/busybox:1' } }, sameImage)).toBe(true);
    expect(imagesMatch(pod, { container: { image: 'debian:12' } }, sameImage)).toBe(false);
    expect(imagesMatch(pod, { services: [svc('redis:7'), svc('redis:7'), svc('redis:7')] }, sameImage)).toBe(false);
    expect(
      imagesMatch(pod, { container: { image: 'busybox:1', registry: { username: 'u', password: 'p' } } }, sameImage),
    ).toBe(false);
  });

  it('reads the controller endpoint and job hints from the env the runner gives hook processes', () => {
    expect(controllerEndpoint({})).toBeUndefined();
    expect(
      controllerEndpoint({ ECI_VIRTUAL_CONTROLLER_URL: 'http://c:8080/', ECI_VIRTUAL_WORKLOAD_TOKEN: 't' }),
    ).toEqual({
      url: 'http://c:8080',
      token: 't',
    });
    expect(jobHints({ GITHUB_RUN_ID: '12', GITHUB_JOB: 'build', GITHUB_RUN_ATTEMPT: 'x' })).toEqual({
      runId: 12,
      jobKey: 'build',
    });
  });

  it('takes the workspace only from a path under /__w', () => {
    expect(workspaceOf('/__w/repo/repo')).toBe('repo/repo');
    expect(workspaceOf('/__w/repo/repo/')).toBe('repo/repo');
    expect(workspaceOf('/github/workspace')).toBeUndefined();
    expect(workspaceOf('/__w/../etc')).toBeUndefined();
  });

  it('asks again while the workload pod is not running, and reports its phase', async () => {
    const answers = [
      [503, { error: { code: 'unavailable', message: 'GitHub does not show a job taken by runner r' } }],
      [202, { mode: 'workload', job: '7', pod: 'w', ready: false, phase: 'Pending', message: 'ErrImagePull' }],
      [202, { mode: 'workload', job: '7', pod: 'w', ready: false, phase: 'Pending', message: 'ErrImagePull' }],
      [200, { mode: 'workload', job: '7', pod: 'w', ready: true, ip: '10.0.0.2', token: 'k' }],
    ] as const;
    const auth: (string | undefined)[] = [];
    const server = createServer((req, res) => {
      auth.push(req.headers.authorization);
      const [status, body] = answers[Math.min(auth.length - 1, answers.length - 1)]!;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const lines: string[] = [];
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const a = await askForWorkload(
        { url, token: 'tok' },
        { pod: 'p', imagesMatch: false, services: [], hints: {} },
        (l) => lines.push(l),
      );
      expect(a).toMatchObject({ ip: '10.0.0.2', token: 'k' });
      expect(lines).toEqual(['workload pod w: Pending (ErrImagePull)']);
      expect(auth).toEqual(['Bearer tok', 'Bearer tok', 'Bearer tok', 'Bearer tok']);
    } finally {
      server.close();
    }
  });
});
