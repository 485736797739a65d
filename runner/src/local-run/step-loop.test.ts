import { describe, expect, it } from '@jest/globals';
import type { ExecIo, ExecTransport } from '../kube/exec.js';
import { createLogger } from '../observability/logger.js';
import { expressionEngine } from './from-workflow.js';
import { JobContexts } from './job-contexts.js';
import type { JobSpec, StepSpec } from './job-spec.js';
import { JobOutput } from './output/job-output.js';
import type { JobReporter, StepResult } from './reporter.js';
import { StepLoop } from './step-loop.js';

/** What the fake pod does for one step: print, write file commands, exit — or hang until the step is aborted. */
type Behaviour = { stdout?: string; exit?: number; files?: Record<string, string> } | 'hang';

/** An exec transport that speaks the launcher's trailer protocol (step-transport/protocol.ts) without a pod. */
class FakePod implements ExecTransport {
  readonly wrappers = new Map<number, string>();
  readonly kills: number[] = [];
  constructor(private readonly behaviours: Record<number, Behaviour>) {}

  async exec(_pod: unknown, _container: string, command: string[], io: ExecIo): Promise<number> {
    const index = Number(command[4]!.split('/').pop());
    if (command[3] === 'eci-killer') {
      this.kills.push(index);
      return 0;
    }
    this.wrappers.set(index, String(io.stdin));
    const b = this.behaviours[index] ?? {};
    if (b === 'hang')
      return new Promise((_resolve, reject) =>
        io.signal?.addEventListener('abort', () => reject(new Error('aborted'))),
      );
    if (b.stdout) io.stdout(Buffer.from(b.stdout));
    const files = Object.entries(b.files ?? {}).map(
      ([name, text]) => `::eci-file::${name}::${Buffer.byteLength(text)}\n${text}`,
    );
    io.stderr(Buffer.from(`::eci-result::${b.exit ?? 0}\n${files.join('')}::eci-end::\n`));
    return 0;
  }
}

function recorder() {
  const calls: string[] = [];
  const lines: string[] = [];
  const reporter: JobReporter = {
    jobStarted: () => undefined,
    podScheduled: () => undefined,
    podRunning: () => undefined,
    stepStarted: (i, name) => calls.push(`started ${i} ${name}`),
    stepLine: (i, line) => lines.push(`${i}: ${line}`),
    stepFinished: (r) => calls.push(`finished ${r.index} ${r.outcome}/${r.conclusion}`),
    jobFinished: () => undefined,
    warn: () => undefined,
  };
  return { reporter, calls, lines };
}

function loopFor(steps: StepSpec[], pod: FakePod, secrets: Record<string, string> = {}) {
  const job: JobSpec = { id: 'j', name: 'j', workflow: 'w', services: [], env: {}, defaults: { shell: 'sh' }, steps };
  const { reporter, calls, lines } = recorder();
  const contexts = new JobContexts({ job, repository: 'acme/app', secrets }, expressionEngine);
  contexts.startEnv();
  const loop = new StepLoop({
    job,
    expressions: expressionEngine,
    reporter,
    transport: pod,
    log: createLogger({}, { level: 'error' }),
    contexts,
    output: new JobOutput(reporter, secrets),
  });
  const run = (signal = new AbortController().signal) =>
    loop.run({ namespace: 'ns', name: 'pod' }, '{"pod":"pod"}', signal, () => calls.push('first'));
  return { loop, contexts, calls, lines, run };
}

const summary = (r: StepResult) => `${r.outcome}/${r.conclusion}`;

describe('StepLoop', () => {
  it('runs pre steps first, posts last in reverse under post-if, and carries GITHUB_STATE as STATE_* per action', async () => {
    // Steps 0-3 are the job's; extra steps get directories 4, 5, ... in the order they run.
    const pod = new FakePod({
      4: { files: { state: 'phase=pre\n' } }, // Pre a
      0: { files: { state: 'seen=main-a\n' } }, // a
      2: { exit: 1 }, // c fails
    });
    const hook = (name: string, state: string, cond = 'always()'): StepSpec => ({
      name,
      run: `echo ${name}`,
      if: cond,
      state,
    });
    const steps: StepSpec[] = [
      { name: 'a', run: 'a', state: 'A', pre: hook('Pre a', 'A'), post: hook('Post a', 'A') },
      { name: 'b', run: 'b', state: 'B', post: hook('Post b', 'B') },
      { name: 'c', run: 'c', state: 'C', post: hook('Post c', 'C', 'success()') },
      { name: 'd', run: 'd', state: 'D', post: hook('Post d', 'D') },
    ];
    const { loop, calls, run } = loopFor(steps, pod);
    await run();
    expect(calls.filter((c) => c.startsWith('finished'))).toEqual([
      'finished 4 success/success', // Pre a (directory after the four steps)
      'finished 0 success/success',
      'finished 1 success/success',
      'finished 2 failure/failure',
      'finished 3 skipped/skipped', // d: skipped after the failure, so its post is never registered
      'finished 5 skipped/skipped', // Post c: post-if success()
      'finished 6 success/success', // Post b
      'finished 7 success/success', // Post a
    ]);
    expect(loop.results.map((r) => r.name)).toEqual(['Pre a', 'a', 'b', 'c', 'd', 'Post c', 'Post b', 'Post a']);
    // Post a sees what pre and main of a saved; b's steps see none of it.
    expect(pod.wrappers.get(7)).toContain("STATE_phase='pre'");
    expect(pod.wrappers.get(7)).toContain("STATE_seen='main-a'");
    expect(pod.wrappers.get(0)).toContain("STATE_phase='pre'");
    expect(pod.wrappers.get(6)).not.toContain('STATE_');
  });

  it('runs steps as GitHub does: outputs and outcomes feed if:, continue-on-error, failure skips, always() runs', async () => {
    const pod = new FakePod({
      0: { stdout: 'hello s3cret\n::add-mask::hidden\nhidden here\n', files: { output: 'v=1\n' } },
      1: { exit: 2 },
      2: { files: { env: 'ADDED=yes\n', path: '/opt/tool\n', summary: '# used s3cret' } },
      3: { exit: 1, stdout: 'no newline at the end' },
    });
    const { loop, contexts, calls, lines, run } = loopFor(
      [
        { name: 'produce', id: 'a', run: 'echo' },
        { name: 'flaky', id: 'b', run: 'x', if: "steps.a.outputs.v == '1'", continueOnError: true },
        { name: 'after ${{ steps.b.outcome }}', if: "steps.b.outcome == 'failure'", run: 'x' },
        { name: 'breaks', run: 'x' },
        { name: 'skipped', id: 'sk', run: 'x' },
        {
          name: 'cleanup',
          if: "always() && steps.sk.conclusion == 'skipped'",
          run: 'echo $ADDED',
          env: { MINE: '${{ env.ADDED }}' },
        },
        { name: 'bad if', if: 'nosuchfunction()', run: 'x' },
      ],
      pod,
      { TOKEN: 's3cret' },
    );
    await run();
    expect(loop.results.map(summary)).toEqual([
      'success/success',
      'failure/success',
      'success/success',
      'failure/failure',
      'skipped/skipped',
      'success/success',
      'failure/failure',
    ]);
    expect(loop.results[1]).toMatchObject({ exitCode: 2, error: 'exit code 2', execs: 1 });
    expect(loop.results[2]!.summary).toBe('# used ***');
    expect(loop.results[6]).toMatchObject({ execs: 0, error: expect.stringMatching(/nosuchfunction/i) });
    expect(loop.results[6]!.exitCode).toBeUndefined();
    expect(contexts.status).toBe('failure');
    expect(calls).toContain('started 2 after failure');
    expect(calls).not.toContain('started 4 skipped');
    // Called as each step starts (not for a skipped one, nor one whose if: failed); the runner keeps the first.
    expect(calls.filter((c) => c === 'first')).toHaveLength(5);
    expect(lines).toEqual(['0: hello ***', '0: *** here', '3: no newline at the end']);
    // GITHUB_ENV and GITHUB_PATH reach later steps through their wrapper; the pod facts travel with every step.
    expect(pod.wrappers.get(5)).toContain("export ADDED='yes'");
    expect(pod.wrappers.get(5)).toContain("export MINE='yes'");
    expect(pod.wrappers.get(5)).toContain('/opt/tool');
    expect(pod.wrappers.get(5)).toContain('ECI_VIRTUAL_POD_FACTS');
    expect(pod.wrappers.get(1)).not.toContain('ADDED');
  });

  it('concludes steps that need no exec: checkout without a working tree, a composite end, an expression error', async () => {
    const pod = new FakePod({ 1: { files: { output: 'inner=42\n' } } });
    const scope = { id: 'c1', inputs: { n: "${{ format('{0}{1}', 4, 2) }}" } };
    const { loop, contexts, run } = loopFor(
      [
        { name: 'checkout', id: 'co', checkout: {}, continueOnError: '${{ true }}' },
        { name: 'inner ${{ inputs.n }}', id: 'in', run: 'echo ${{ inputs.n }}', scope },
        {
          name: 'end',
          compositeEnd: { scope: 'c1', outputs: { out: '${{ steps.in.outputs.inner }}' }, callerId: 'comp' },
        },
        { name: 'uses ${{ steps.comp.outputs.out }}', run: 'x', env: { BAD: "${{ fromJSON('{') }}" } },
      ],
      pod,
    );
    await run();
    expect(loop.results.map((r) => [r.name, summary(r), r.execs])).toEqual([
      ['checkout', 'failure/success', 0],
      ['inner ', 'success/success', 1],
      ['uses 42', 'failure/failure', 0],
    ]);
    expect(loop.results[0]!.error).toBe('actions/checkout: no local working tree to upload');
    // The name is evaluated with the job's contexts, the script with the composite action's.
    expect(pod.wrappers.get(1)).toContain('echo 42');
    const steps = (contexts.get() as { steps: Record<string, unknown> }).steps;
    expect(steps).toEqual({
      co: { outputs: {}, outcome: 'failure', conclusion: 'success' },
      comp: { outputs: { out: '42' }, outcome: 'success', conclusion: 'success' },
    });
  });

  it('fails a step that outlives timeout-minutes, cancels the running step when the job is cancelled', async () => {
    const timed = new FakePod({ 0: 'hang' });
    const a = loopFor([{ name: 'slow', run: 'x', timeoutMinutes: 0.001 }], timed);
    const cancelled = new FakePod({ 0: 'hang' });
    const b = loopFor(
      [
        { name: 'slow', run: 'x' },
        { name: 'later', run: 'x' },
      ],
      cancelled,
    );
    const job = new AbortController();
    setTimeout(() => {
      b.contexts.status = 'cancelled';
      job.abort();
    }, 50);
    await Promise.all([a.run(), b.run(job.signal)]);
    expect(a.loop.results.map(summary)).toEqual(['failure/failure']);
    expect(a.loop.results[0]!.error).toBe('timed out after 0.001 minutes');
    expect(timed.kills).toEqual([0, 0]);
    expect(b.loop.results.map(summary)).toEqual(['cancelled/cancelled', 'skipped/skipped']);
    expect(b.loop.results[0]!.error).toBe('cancelled');
    expect(cancelled.kills).toEqual([0, 0]);
  }, 15_000);
});
