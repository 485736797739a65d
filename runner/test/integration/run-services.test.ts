/**
 * `eci-virtual run` with a service whose env comes from `--secret` and a matrix value: the service gets the values
 * (read back from a "distroless" service that echoes its env over TCP), yet the secret is in no pod spec — it
 * travels in the job's Secret, referenced by `secretKeyRef` (pod-assembly/pod-builder.ts serviceSecretEnv).
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundlePath } from '../../scripts/lib/node-process.js';
import { ENV_ECHO_PORT, ensureEnvEchoImage } from '../harness/env-echo-image.js';
import { readTestEnv } from '../harness/env.js';
import { kubectl } from '../harness/kubectl.js';
import { startTestNode, stopTestNode, type TestNode } from '../harness/test-node.js';

jest.setTimeout(240_000);

const SECRET = 'cli-Secr3t-5e8b04';

describe('eci-virtual run services', () => {
  let t: TestNode | undefined;
  let dir = '';
  let envEcho = '';

  beforeAll(async () => {
    envEcho = await ensureEnvEchoImage();
    t = await startTestNode('runsvc');
    dir = mkdtempSync('/tmp/eci-run-svc-');
  });
  afterAll(async () => {
    await stopTestNode(t);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('gives a service its --secret env by secretKeyRef, never in the pod spec', async () => {
    const env = readTestEnv();
    const file = join(dir, 'svc.yml');
    writeFileSync(
      file,
      [
        'on: push',
        'jobs:',
        '  svc:',
        '    runs-on: eci-virtual',
        '    strategy: { matrix: { mode: [fast] } }',
        '    services:',
        '      echo:',
        `        image: ${envEcho}`,
        '        env: { PG: "${{ secrets.PG }}", URL: "pg://u:${{ secrets.PG }}@db", MODE: "${{ matrix.mode }}" }',
        '    steps:',
        `      - run: nc 127.0.0.1 ${ENV_ECHO_PORT} </dev/null | grep -E '^(PG|URL|MODE)=' | sed 's/^/svc-/'`,
        '      - run: echo inspect-now; sleep 8',
        '',
      ].join('\n'),
    );
    let podYaml: Promise<string> | undefined;
    const lines: string[] = [];
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(
        process.execPath,
        [bundlePath, 'run', file, '--json', '--namespace', t!.ns, '--node', t!.nodeName, '--secret', `PG=${SECRET}`],
        {
          cwd: dir,
          env: { ...process.env, KUBECONFIG: env.kubeconfig, ECI_VIRTUAL_DEFAULT_IMAGE: env.engine.images.busybox },
        },
      );
      let buffered = '';
      child.stdout.on('data', (c: Buffer) => {
        buffered += c.toString();
        let nl;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const e = JSON.parse(buffered.slice(0, nl)) as { event: string; line?: string };
          buffered = buffered.slice(nl + 1);
          if (e.event !== 'step.output') continue;
          lines.push(String(e.line));
          if (e.line === 'inspect-now')
            podYaml = kubectl(['-n', t!.ns, 'get', 'pods', '-o', 'yaml']).then((r) => r.stdout);
        }
      });
      child.stderr.on('data', (c: Buffer) => process.stderr.write(c));
      child.on('close', resolve);
    });
    expect(code).toBe(0);
    // The CLI masks secrets in step output; the service's values are there, masked.
    expect(lines.filter((l) => l.startsWith('svc-'))).toEqual(['svc-MODE=fast', 'svc-PG=***', 'svc-URL=pg://u:***@db']);
    const yaml = await podYaml!;
    expect(yaml).toContain('secretKeyRef');
    expect(yaml).toContain('service.echo.');
    expect(yaml).not.toContain(SECRET);
  });
});
