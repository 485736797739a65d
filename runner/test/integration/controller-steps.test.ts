/**
 * Steps through the in-pod step agent under the controller, driven by the runner stand-in exactly as the official
 * runner drives our hooks: cancel and `timeout-minutes` (the runner signals the hook process; the hook cancels the
 * step through the agent and no process of the step survives in the job container), prependPath in the runner's
 * order in both of its shapes, pwsh's quoted argument template, and `docker://` steps in an image without a shell.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { ControllerStack } from '../harness/controller-stack.js';
import { readTestEnv } from '../harness/env.js';
import { startTestNode, stopTestNode, type TestNode } from '../harness/test-node.js';
import { until } from '../harness/until.js';
import type { EmuJob, StandInStep } from '../github-emulator/state.js';

jest.setTimeout(300_000);

const REPO = 'octo-org/steps';

/** A workflow whose job has `container:` and the given `docker://` images, so the controller plans those containers. */
const workflow = (job: string, container: string, stepImages: string[] = []) =>
  [
    'name: CI',
    'on: push',
    'jobs:',
    '  j:',
    '    runs-on: [self-hosted, eci-virtual]',
    `    name: ${job}`,
    `    container: { image: "${container}" }`,
    '    steps:',
    '      - run: "true"',
    ...stepImages.map((i) => `      - uses: docker://${i}`),
    '',
  ].join('\n');

/** Lists the job container's processes afterwards, whatever happened before (`if: always()`). */
const PROCESSES: StandInStep = { kind: 'script', name: 'processes', always: true, run: 'ps' };

describe('controller steps through the agent', () => {
  let t: TestNode | undefined;
  let stack: ControllerStack | undefined;
  const images = () => readTestEnv().engine.images;

  beforeAll(async () => {
    t = await startTestNode('steps');
    stack = new ControllerStack({ repo: REPO, namespace: t.ns, nodeName: t.nodeName });
    await stack.start();
  });

  afterAll(async () => {
    await stack?.stop();
    await stopTestNode(t);
  });

  const queue = (job: string, steps: StandInStep[], stepImages: string[] = [], image = images().busybox) =>
    stack!.emulator.queueJob({
      repo: REPO,
      workflowPath: '.github/workflows/ci.yml',
      workflowText: workflow(job, image, stepImages),
      name: job,
      labels: ['self-hosted', 'eci-virtual'],
      message: { container: { image }, steps },
    });

  const completed = async (job: EmuJob) => {
    await until(async () => expect(stack!.emulator.state.jobs.get(job.id)!.status).toBe('completed'), 120_000, 200);
    const done = stack!.emulator.state.jobs.get(job.id)!;
    process.stderr.write(
      `[steps] job ${job.id} (${job.name}) ${done.conclusion}:\n` +
        done.results.map((r) => `--- ${r.name} = ${r.exitCode}\n${r.log}`).join('\n') +
        '\n',
    );
    return done;
  };
  const result = (job: EmuJob, name: string) => job.results.find((r) => r.name === name)!;
  const stepLines = (log: string) => log.split('\n').filter((l) => /sleep 30\d/.test(l));

  it('cancels a running step and its background child on job cancel, and on timeout-minutes', async () => {
    const cancelled = await queue('cancel', [
      { kind: 'script', name: 'long', run: 'echo started; sleep 301 & sleep 300' },
      PROCESSES,
    ]);
    const timedOut = await queue('timeout', [
      { kind: 'script', name: 'slow', run: 'echo started; sleep 303 & sleep 302', timeoutMinutes: 0.05 },
      PROCESSES,
    ]);
    // The runner learns of the cancel while `long` runs: let it get going first.
    await until(async () => expect(stack!.emulator.state.jobs.get(cancelled.id)!.results).toHaveLength(1), 120_000);
    await new Promise((r) => setTimeout(r, 2_000));
    const cancelAt = Date.now();
    stack!.emulator.cancelRunning(cancelled.id);
    await until(async () => expect(result(stack!.emulator.state.jobs.get(cancelled.id)!, 'long')).toBeDefined());
    // The hook ended on the runner's SIGINT: well before the runner's SIGTERM (7.5 s later) would have been sent.
    expect(Date.now() - cancelAt).toBeLessThan(7_000);

    const c = await completed(cancelled);
    expect(c.conclusion).toBe('cancelled');
    expect(c.results.map((r) => [r.name, r.exitCode])).toEqual([
      ['Initialize containers', 0],
      ['long', 143],
      ['processes', 0],
    ]);
    expect(result(c, 'long').log).toMatch(/^started\n[\s\S]*SIGINT: cancelling the step/);
    // Listed from inside the job container after the hook returned: the agent (PID 1) and ps, no sleep of the step.
    expect(result(c, 'processes').log).toContain('eci-agent serve');
    expect(stepLines(result(c, 'processes').log)).toEqual([]);

    const o = await completed(timedOut);
    expect(o.conclusion).toBe('failure');
    expect(o.results.map((r) => [r.name, r.exitCode])).toEqual([
      ['Initialize containers', 0],
      ['slow', 143],
      ['processes', 0],
    ]);
    expect(result(o, 'slow').log).toContain('has timed out after 0.05 minutes');
    expect(result(o, 'processes').log).toContain('eci-agent serve');
    expect(stepLines(result(o, 'processes').log)).toEqual([]);
  });

  it("puts prependPath in the runner's order in front of the image PATH, and runs pwsh's quoted template", async () => {
    const tools = String.raw`mkdir -p /__w/_tools/new/bin /__w/_tools/old/bin /__w/_tools/pwsh
printf '#!/bin/sh\necho new\n' > /__w/_tools/new/bin/which-tool
printf '#!/bin/sh\necho old\n' > /__w/_tools/old/bin/which-tool
printf '#!/bin/sh\nfor a in "$@"; do echo "arg<$a>"; done\n[ "$1" = -command ] && eval "$2"\n' > /__w/_tools/pwsh/pwsh
chmod +x /__w/_tools/new/bin/which-tool /__w/_tools/old/bin/which-tool /__w/_tools/pwsh/pwsh`;
    const show = 'echo "PATH=$PATH"; which-tool';
    const job = await queue('path', [
      { kind: 'script', name: 'tools', run: tools },
      // The runner sends its PATH additions newest first: /new was added by a later step than /old.
      { kind: 'script', name: 'array', run: show, prependPath: ['/__w/_tools/new/bin', '/__w/_tools/old/bin'] },
      { kind: 'script', name: 'string', run: show, prependPath: '/__w/_tools/new/bin:/__w/_tools/old/bin' },
      {
        kind: 'script',
        name: 'pwsh',
        shell: 'pwsh',
        template: `-command ". '{0}'"`,
        ext: 'ps1',
        prependPath: ['/__w/_tools/pwsh'],
        run: 'echo ran-the-ps1',
      },
    ]);
    const done = await completed(job);
    expect(done.conclusion).toBe('success');
    const expected =
      'PATH=/__w/_tools/new/bin:/__w/_tools/old/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nnew\n';
    expect(result(done, 'array').log).toBe(expected);
    expect(result(done, 'string').log).toBe(expected);
    expect(result(done, 'pwsh').log).toMatch(/^arg<-command>\narg<\. '\/__w\/_temp\/[0-9a-f-]+\.ps1'>\nran-the-ps1\n$/);
  });

  it("runs a JavaScript action with the runner's externals Node.js, and file commands as the runner handles them", async () => {
    const action = String.raw`mkdir -p greet
cat > greet/action.yml <<'EOF'
name: greet
inputs: { who: { required: true } }
outputs: { greeting: { description: the greeting } }
runs: { using: node20, main: index.js }
EOF
cat > greet/index.js <<'EOF'
const fs = require('fs');
const greeting = 'hello ' + process.env.INPUT_WHO;
fs.appendFileSync(process.env.GITHUB_OUTPUT, 'greeting=' + greeting + '\nnode<<EOT\n' + process.execPath + ' ' + process.version + '\nEOT\n');
console.log(greeting, 'cwd=' + process.cwd(), 'output=' + process.env.GITHUB_OUTPUT);
EOF
echo /opt/old/bin >> "$GITHUB_PATH"`;
    const job = await queue(
      'js-action',
      [
        { kind: 'script', name: 'write the action', run: action },
        {
          kind: 'script',
          name: 'add a path',
          run: 'echo /opt/new/bin >> "$GITHUB_PATH"; echo "FROM_ENV=set" >> "$GITHUB_ENV"',
        },
        { kind: 'node', name: 'greet', action: 'greet', main: 'index.js', with: { who: 'octocat' } },
        { kind: 'script', name: 'path', run: 'echo "PATH=$PATH FROM_ENV=$FROM_ENV"' },
      ],
      [],
      images().debian,
    );
    const done = await completed(job);
    expect(done.results.map((r) => [r.name, r.exitCode])).toEqual([
      ['Initialize containers', 0],
      ['write the action', 0],
      ['add a path', 0],
      ['greet', 0],
      ['path', 0],
    ]);
    expect(done.conclusion).toBe('success');
    const greet = result(done, 'greet');
    expect(greet.log).toMatch(
      /^hello octocat cwd=\/__w\/steps\/steps output=\/__w\/_temp\/_runner_file_commands\/set_output_[0-9a-f-]+\n$/,
    );
    expect(greet.outputs).toEqual({
      greeting: 'hello octocat',
      node: expect.stringMatching(/^\/__e\/node20\/bin\/node v20\.\d+\.\d+$/),
    });
    // GITHUB_PATH additions come back newest first (HookInput.cs: Global.PrependPath.Reverse()).
    expect(result(done, 'path').log).toMatch(
      /^PATH=\/opt\/new\/bin:\/opt\/old\/bin:\/usr\/local\/sbin:.* FROM_ENV=set\n$/,
    );
  });

  it('runs docker:// steps in an image without a shell: output, exit code and the workspace links', async () => {
    const noShell = images().noShell;
    const job = await queue(
      'no-shell',
      [
        { kind: 'script', name: 'marker', run: 'echo hello-from-the-workspace > "$GITHUB_WORKSPACE/marker.txt"' },
        { kind: 'container', name: 'ls', image: noShell, entrypoint: '/bin/busybox', args: 'ls /bin' },
        {
          kind: 'container',
          name: 'cat',
          image: noShell,
          entrypoint: '/bin/busybox',
          args: 'cat marker.txt', // in its working directory, /github/workspace: a link the agent made
        },
        {
          kind: 'container',
          name: 'exit 7',
          image: noShell,
          entrypoint: '/bin/busybox',
          args: 'sh -c "echo from-no-shell in $GITHUB_WORKSPACE; exit 7"',
        },
      ],
      [noShell],
    );
    const done = await completed(job);
    expect(done.results.map((r) => [r.name, r.exitCode])).toEqual([
      ['Initialize containers', 0],
      ['marker', 0],
      ['ls', 0],
      ['cat', 0],
      ['exit 7', 7],
    ]);
    expect(done.conclusion).toBe('failure');
    expect(result(done, 'ls').log).toBe('busybox\n'); // nothing else in /bin: no sh, no ln
    expect(result(done, 'cat').log).toBe('hello-from-the-workspace\n');
    expect(result(done, 'exit 7').log).toBe(`from-no-shell in /github/workspace\n`);
  });
});
