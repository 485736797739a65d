/**
 * `eci-virtual run` end to end: the real CLI runs checked-in workflows (runner/test/workflows) on the real control
 * plane, a real virtual node process and Podman; assertions read its JSON-lines output.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { spawn } from 'node:child_process';
import { build } from 'esbuild';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeClients } from '../../src/kube/client.js';
import { bundlePath } from '../../scripts/lib/node-process.js';
import { repoRoot } from '../../scripts/lib/paths.js';
import { startTestNode, stopTestNode, type TestNode } from '../harness/test-node.js';
import { readTestEnv } from '../harness/env.js';
import { eventually } from '../harness/kube.js';
import { GitHubEmulator } from '../github-emulator/server.js';

jest.setTimeout(240_000);

interface Event {
  event: string;
  [k: string]: unknown;
}
interface Run {
  code: number | null;
  events: Event[];
  stdout: string;
  stderr: string;
  lines: string[];
}

describe('eci-virtual run', () => {
  let kube: KubeClients;
  let ns: string;
  let nodeName: string;
  let t: TestNode | undefined;
  const SECRET = 'topsecret-abc-987';

  function run(workflow: string, extra: string[] = [], onEvent?: (e: Event, kill: () => void) => void): Promise<Run> {
    const env = readTestEnv();
    return new Promise((resolve) => {
      const child = spawn(
        process.execPath,
        [
          bundlePath,
          'run',
          join('runner/test/workflows', workflow),
          '--json',
          '--namespace',
          ns,
          '--node',
          nodeName,
          '--secret',
          `API_KEY=${SECRET}`,
          ...extra,
        ],
        {
          cwd: repoRoot,
          env: {
            ...process.env,
            KUBECONFIG: env.kubeconfig,
            ECI_VIRTUAL_DEFAULT_IMAGE: env.engine.images.debian,
            ECI_VIRTUAL_AGENT_IMAGE: env.engine.images.agent,
            ECI_VIRTUAL_NODE_RUNTIME_IMAGE: env.engine.images.nodeRuntime,
          },
        },
      );
      let stdout = '';
      let stderr = '';
      let buffered = '';
      const events: Event[] = [];
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
        buffered += c.toString();
        let nl;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const e = JSON.parse(buffered.slice(0, nl)) as Event;
          buffered = buffered.slice(nl + 1);
          events.push(e);
          onEvent?.(e, () => child.kill('SIGINT'));
        }
      });
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('close', (code) =>
        resolve({
          code,
          events,
          stdout,
          stderr,
          lines: events.filter((e) => e.event === 'step.output').map((e) => String(e.line)),
        }),
      );
    });
  }
  const steps = (r: Run) =>
    r.events.filter((e) => e.event === 'step.finished') as unknown as {
      name: string;
      outcome: string;
      conclusion: string;
      exitCode?: number;
      execs: number;
    }[];
  const podsLeft = async () =>
    (await kube.core.listNamespacedPod({ namespace: ns })).items.filter((p) => !p.metadata?.deletionTimestamp);

  beforeAll(async () => {
    t = await startTestNode('run');
    ({ kube, ns, nodeName } = t);
  });

  afterAll(() => stopTestNode(t));

  it('carries env, working directories, outputs, GITHUB_ENV/PATH and if: between steps, and masks secrets', async () => {
    const r = await run('semantics.yml');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.lines).toEqual(
      expect.arrayContaining([
        'levels=step/wf pwd=WS/sub',
        'pwd=WS/sub/deeper',
        'answer=42 env=carried',
        'line one|line two|',
        'tool-on-path',
        'if-true ran',
        'secret is ***',
        'masked later ***',
      ]),
    );
    expect(r.lines.some((l) => l.startsWith('sh shell'))).toBe(true);
    // Every step — and the job's setup (event payload) before them — went through the job container's agent over
    // ONE exec running `eci-agent dial`; the setup opened it.
    const setupExecs = r.events.filter((e) => e.event === 'job.finished').map((e) => e.setupExecs);
    expect(setupExecs).toEqual([1]);
    expect(steps(r).reduce((n, s) => n + s.execs, 0)).toBe(0);
    expect(r.stdout).not.toContain('must not run');
    expect(r.stdout).not.toContain(SECRET);
    expect(r.stdout).not.toContain('dynamic-value-123');
    expect(steps(r).find((s) => s.name === 'skipped by if')?.outcome).toBe('skipped');
    expect(await podsLeft()).toEqual([]);
    // The secret never reached the pod spec or annotations: it travelled in a Secret owned by the pod.
  });

  it('reads --env-file and --secret-file (dotenv), masks the file secrets, and takes --event/--eventpath', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eci-run-files-'));
    writeFileSync(join(dir, 'vars.env'), 'FROM_FILE=plain # comment\nQUOTED="a \\"b\\""\nMULTI="one\ntwo"\n');
    writeFileSync(join(dir, 'secrets.env'), "FILE_SECRET='file-secret-xyz-42'\n");
    writeFileSync(
      join(dir, 'event.json'),
      JSON.stringify({ number: 5, pull_request: { head: { ref: 'topic' }, base: { ref: 'main' } } }),
    );
    const files = ['--env-file', join(dir, 'vars.env'), '--secret-file', join(dir, 'secrets.env')];
    const r = await run('event-env.yml', [...files, '--event', 'pull_request', '--eventpath', join(dir, 'event.json')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.lines).toEqual(
      expect.arrayContaining([
        'event=pull_request ref=refs/pull/5/merge head=topic',
        'from-file=plain quoted=a "b"',
        'multi=one|two|',
        'secret *** and ***',
      ]),
    );
    expect(r.stdout).not.toContain('file-secret-xyz-42');
  });

  it("runs a local JavaScript action with the pod's Node.js runtime, in debian and in busybox (no node): INPUT_*, GITHUB_ACTION_PATH, outputs", async () => {
    const r = await run('js-action.yml');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.lines).toEqual(
      expect.arrayContaining([
        'hello push from hello-js',
        'output=hello push from hello-js',
        `busybox output=hello busybox from hello-js on ${process.version}`,
      ]),
    );
  });

  it('resolves a remote JavaScript action on @actions/core (pre/post, state, env, mask), nested composite and docker actions by commit, and re-runs offline from the cache', async () => {
    const emulator = new GitHubEmulator({ webhookSecret: 's', runnerHost: '127.0.0.1', host: '127.0.0.1' });
    const repos = mkdtempSync(join(tmpdir(), 'eci-remote-actions-'));
    const repo = (name: string, files: Record<string, string>) => {
      for (const [path, text] of Object.entries(files)) {
        mkdirSync(join(repos, name, path, '..'), { recursive: true });
        writeFileSync(join(repos, name, path), text);
      }
      return join(repos, name);
    };
    const copy = (name: string) => {
      cpSync(join(repoRoot, 'runner/test/workflows/actions', name), join(repos, name), { recursive: true });
      return join(repos, name);
    };
    const sha = (c: string) => c.repeat(40);
    emulator.registerArchive('eci-test/hello-js', 'v1', copy('hello-js'), sha('a'));
    // A JavaScript action on the real @actions/core, shipped as published actions are: its dist/ bundled.
    const coreJs = copy('core-js');
    await build({
      absWorkingDir: join(repoRoot, 'runner/test/workflows/actions/core-js'),
      entryPoints: ['src/pre.mjs', 'src/main.mjs', 'src/post.mjs'],
      outdir: join(coreJs, 'dist'),
      outExtension: { '.js': '.cjs' },
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      minify: true,
      logLevel: 'warning',
    });
    emulator.registerArchive('eci-test/core-js', 'v1', coreJs, sha('b'));
    emulator.registerArchive(
      'eci-test/greet-composite',
      'v1',
      repo('greet-composite', {
        'action.yml': [
          'inputs: { name: { required: true } }',
          'outputs:',
          '  said: { value: "${{ steps.say.outputs.said }}" }',
          '  nested: { value: "${{ steps.inner.outputs.greeting }}" }',
          'runs:',
          '  using: composite',
          '  steps:',
          '    - id: say',
          '      shell: sh',
          '      run: echo "said=hi ${{ inputs.name }} in $(basename $GITHUB_ACTION_PATH)" >> "$GITHUB_OUTPUT"',
          '    - id: inner',
          '      uses: eci-test/hello-js@v1',
          '      with: { who: "${{ inputs.name }}-nested" }',
        ].join('\n'),
      }),
      sha('c'),
    );
    emulator.registerArchive(
      'eci-test/echo-docker',
      'v2',
      repo('echo-docker', {
        'README.md': 'the action is in sub/',
        'sub/action.yml': [
          'inputs: { msg: { required: true } }',
          'runs:',
          '  using: docker',
          `  image: docker://${readTestEnv().engine.images.busybox}`,
          '  entrypoint: /bin/sh',
          '  args: [-c, \'echo "said=$INPUT_MSG via $(readlink /bin/sh)" >> "$GITHUB_OUTPUT"\']',
        ].join('\n'),
      }),
      sha('d'),
    );
    const cache = mkdtempSync(join(tmpdir(), 'eci-action-cache-'));
    await emulator.start();
    try {
      const r = await run('remote-actions.yml', ['--github-api-url', emulator.url, '--action-cache', cache]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.lines).toEqual(
        expect.arrayContaining([
          `js=hello push from hello-js@${sha('a')}`,
          `composite=hi composite in greet-composite@${sha('c')}`,
          `nested=hello composite-nested from hello-js@${sha('a')}`,
          'docker=from docker via /bin/busybox',
          // pre saved state main read; main's GITHUB_ENV reached later steps; the input was masked.
          'core phase=from-pre env=set by main at node v20 token=***',
          'main token=***',
          'pre ran; main not yet: true',
          // post: at the end, with the state of pre and main.
          'post state phase=from-pre main=done env=set by main at node v20',
        ]),
      );
      expect(r.lines.some((l) => /^event "ref": *"refs\//.test(l))).toBe(true);
      expect(r.stdout).not.toContain('masked-value-77');
      const names = steps(r).map((s) => s.name);
      expect(names[0]).toBe('Pre Run eci-test/core-js@v1');
      expect(names[names.length - 1]).toBe('Post Run eci-test/core-js@v1');
      expect(readdirSync(join(cache, 'eci-test')).sort()).toEqual([
        `core-js@${sha('b')}`,
        `echo-docker@${sha('d')}`,
        `greet-composite@${sha('c')}`,
        `hello-js@${sha('a')}`,
      ]);
      // The API unreachable: the refs resolved last time run from the cache, and the run says so.
      const offline = ['--github-api-url', emulator.url.replace(/:\d+$/, ':1'), '--action-cache', cache];
      const again = await run('remote-actions.yml', offline);
      expect(again.code).toBe(0);
      const warnings = again.events.filter((e) => e.event === 'warning').map((e) => String(e.message));
      expect(warnings).toEqual(
        expect.arrayContaining([
          expect.stringContaining(`eci-test/hello-js@v1: used the action cache (commit ${sha('a')})`),
        ]),
      );
      // Never resolved and unreachable: refused before any pod, naming the URL.
      const fresh = mkdtempSync(join(tmpdir(), 'eci-action-cache-'));
      const missing = await run('remote-actions.yml', [...offline.slice(0, 2), '--action-cache', fresh]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('resolving action eci-test/hello-js@v1 at http://127.0.0.1:1/repos/');
    } finally {
      await emulator.stop();
    }
  });

  it('refuses a remote Dockerfile action before any pod, saying why and what to do', async () => {
    const emulator = new GitHubEmulator({ webhookSecret: 's', runnerHost: '127.0.0.1', host: '127.0.0.1' });
    const dir = mkdtempSync(join(tmpdir(), 'eci-remote-actions-'));
    writeFileSync(join(dir, 'action.yml'), 'runs:\n  using: docker\n  image: Dockerfile\n');
    writeFileSync(join(dir, 'Dockerfile'), 'FROM busybox\n');
    emulator.registerArchive('eci-test/built-here', 'v1', dir, 'e'.repeat(40));
    await emulator.start();
    try {
      const cache = mkdtempSync(join(tmpdir(), 'eci-action-cache-'));
      const r = await run('dockerfile-action.yml', ['--github-api-url', emulator.url, '--action-cache', cache]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/eci-test\/built-here@v1 is a Dockerfile action \(image: Dockerfile\)/);
      expect(r.stderr).toContain('runs.image: docker://');
      expect(r.events.filter((e) => e.event === 'job.started')).toEqual([]);
      expect(r.lines).not.toContain('must not run');
      expect(await podsLeft()).toEqual([]);
    } finally {
      await emulator.stop();
    }
  });

  it('fails the job with the step exit code, skips later steps, still runs always()/failure() steps', async () => {
    const r = await run('failing.yml');
    expect(r.code).toBe(1);
    const byName = Object.fromEntries(steps(r).map((s) => [s.name, s]));
    expect(byName.breaks).toMatchObject({ outcome: 'failure', exitCode: 4 });
    expect(byName['skipped after failure']?.outcome).toBe('skipped');
    expect(byName['may fail by expression']).toMatchObject({ outcome: 'failure', conclusion: 'success', exitCode: 2 });
    expect(r.lines).toEqual(expect.arrayContaining(['always ran', 'failure ran']));
    const error = r.events.find(
      (e) => e.event === 'step.output' && (e.command as { name?: string } | undefined)?.name === 'error',
    );
    expect(error?.command).toMatchObject({ properties: { file: 'app.js', line: '3' }, message: 'something broke' });
    const job = r.events.find((e) => e.event === 'job.finished');
    expect(job?.conclusion).toBe('failure');
  });

  it('expands the matrix with include/exclude, one pod per leg, each with its service on localhost', async () => {
    const r = await run('matrix-services.yml');
    expect(r.code).toBe(0);
    const legs = r.lines.filter((l) => l.startsWith('leg ')).sort();
    expect(legs).toEqual([
      'leg size=l extra=big index=1/3',
      'leg size=s extra= index=0/3',
      'leg size=xl extra= index=2/3',
    ]);
    expect(r.lines.filter((l) => l === 'pong')).toHaveLength(3);
    const pods = new Set(r.events.filter((e) => e.event === 'job.started').map((e) => e.pod));
    expect(pods.size).toBe(3);
  });

  it('runs only the selected matrix leg with --matrix', async () => {
    const r = await run('matrix-services.yml', ['--matrix', 'size=xl']);
    expect(r.code).toBe(0);
    expect(r.lines.filter((l) => l.startsWith('leg '))).toEqual(['leg size=xl extra= index=0/1']);
  });

  it('cancels on Ctrl-C: kills the running step, runs always() steps, removes the pod, exits 130', async () => {
    let sent = false;
    const r = await run('slow.yml', [], (e, kill) => {
      if (!sent && e.event === 'step.output' && e.line === 'started') {
        sent = true;
        kill();
      }
    });
    expect(sent).toBe(true);
    expect(r.code).toBe(130);
    expect(steps(r)[0]?.outcome).toBe('cancelled');
    expect(r.lines).toContain('always after cancel');
    await eventually('job pod removed', async () => ((await podsLeft()).length === 0 ? true : undefined), 30_000);
  });

  it('runs docker:// steps in their own container and enforces step timeout-minutes', async () => {
    const r = await run('docker-timeout.yml', ['--repository', 'octo/demo']);
    expect(r.code).toBe(0);
    expect(r.lines).toContain('docker step in /bin/busybox sees /__w/demo/demo');
    const byName = Object.fromEntries(steps(r).map((s) => [s.name, s]));
    expect(byName['times out']).toMatchObject({ outcome: 'failure', conclusion: 'success' });
    expect((byName['times out'] as { error?: string }).error).toMatch(/timed out after 0.05 minutes/);
    expect((byName['times out'] as unknown as { durationMs: number }).durationMs).toBeLessThan(20_000);
    expect((byName.summary as { summary?: string }).summary).toBe('### all good\n');
  });

  const jobsFinished = (r: Run) =>
    Object.fromEntries(r.events.filter((e) => e.event === 'job.finished').map((e) => [String(e.jobName), e])) as Record<
      string,
      Event & { conclusion: string; error?: string; outputs?: Record<string, string> }
    >;

  it('runs independent jobs side by side: three 5 s jobs in at most 8 s', async () => {
    const started = Date.now();
    const r = await run('parallel.yml');
    const wall = Date.now() - started;
    process.stderr.write(`three parallel 5 s jobs took ${(wall / 1000).toFixed(1)} s\n`);
    expect(r.code).toBe(0);
    expect(r.lines).toEqual(expect.arrayContaining(['one done', 'two done', 'three done']));
    const outputs = r.events.filter((e) => e.event === 'step.output');
    expect(new Set(outputs.map((e) => e.job))).toEqual(new Set(['one', 'two', 'three']));
    expect(r.events.find((e) => e.event === 'run.finished')).toMatchObject({ code: 0 });
    expect(wall).toBeLessThanOrEqual(8_000);
  });

  it("runs the demo's matrix legs side by side (yarn demo's workflow)", async () => {
    const r = await run('../../examples/workflows/demo.yml', ['--secret', 'DEMO_TOKEN=not-really-secret']);
    expect(r.code).toBe(0);
    const at = (event: string, leg: string) =>
      Date.parse(String(r.events.find((e) => e.event === event && e.jobName === `build (${leg})`)?.ts));
    const legs = ['small', 'large'].map((leg) => ({ start: at('job.started', leg), end: at('job.finished', leg) }));
    for (const leg of legs) expect(leg.end).toBeGreaterThan(leg.start);
    const overlap = Math.min(...legs.map((l) => l.end)) - Math.max(...legs.map((l) => l.start));
    process.stderr.write(
      `demo legs: ${legs.map((l) => ((l.end - l.start) / 1000).toFixed(1)).join(' s, ')} s, overlapping ${(overlap / 1000).toFixed(1)} s\n`,
    );
    expect(overlap).toBeGreaterThan(0);
  });

  it('passes job outputs and results along needs; drops an output that carries a secret', async () => {
    const r = await run('outputs.yml');
    expect(r.code).toBe(0);
    expect(r.lines).toContain('got made-by-produce result success leaked=');
    const jobs = jobsFinished(r);
    expect(jobs.produce?.outputs).toEqual({ val: 'made-by-produce' });
    expect(jobs['after-failure']).toMatchObject({ conclusion: 'skipped', pod: '' });
    expect(r.events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          event: 'warning',
          message: expect.stringMatching(/^produce: output leaked is dropped: it may contain a secret$/),
        }),
      ]),
    );
    expect(r.stdout).not.toContain(SECRET);
  });

  it('fail-fast: a failing matrix leg cancels its sleeping sibling; always() dependents still run', async () => {
    const started = Date.now();
    const r = await run('fail-fast.yml');
    expect(r.code).toBe(1);
    const jobs = jobsFinished(r);
    expect(jobs['legs (fails)']?.conclusion).toBe('failure');
    expect(jobs['legs (sleeps)']?.conclusion).toBe('cancelled');
    expect(r.lines).toContain('after legs=failure');
    expect(r.lines).not.toContain('sleeper finished');
    expect(Date.now() - started).toBeLessThan(45_000);
    await eventually('job pods removed', async () => ((await podsLeft()).length === 0 ? true : undefined), 30_000);
  });

  it('fails a job within 15 s when a service exits, naming the container and its exit code', async () => {
    const started = Date.now();
    const r = await run('service-exits.yml');
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r.code).toBe(1);
    const job = jobsFinished(r).broken;
    expect(job?.conclusion).toBe('failure');
    expect(job?.error).toMatch(/services\.db \(container svc-db\) in pod \S+ exited with code \d+/);
    expect(r.lines).not.toContain('must not run');
  });

  it('fails a job within 15 s when its image cannot be pulled, naming the container and the pull error', async () => {
    const started = Date.now();
    const r = await run('bad-image.yml');
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r.code).toBe(1);
    expect(jobsFinished(r).unpullable?.error).toMatch(
      /the job container in pod \S+ (ErrImagePull|ImagePullBackOff)\b.*no-such-image/,
    );
  });

  it('refuses unsupported workflows before creating any pod, with file:line', async () => {
    // A remote action is resolved before any pod; where that cannot work (no GitHub here), the run stops first.
    const cache = mkdtempSync(join(tmpdir(), 'eci-action-cache-'));
    const remote = await run('unsupported.yml', ['--github-api-url', 'http://127.0.0.1:1', '--action-cache', cache]);
    expect(remote.code).toBe(1);
    expect(remote.stderr).toContain('resolving action actions/setup-node@v4 at http://127.0.0.1:1/repos/');
    const bad = await run('bad-step.yml');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad-step\.yml:8: unknown step key "bogus-key"/);
    expect(remote.events.filter((e) => e.event === 'job.started')).toEqual([]);
  });
});
