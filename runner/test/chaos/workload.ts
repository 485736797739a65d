/**
 * The chaos run's workload: seeded jobs of mixed shapes whose every result is known in advance. Each job is one
 * workflow job (its own workflow file, so the controller plans exactly the job's containers) bound to its own runner
 * (`eci-bind-…`), with 10–30 steps drawn from: numbered lines printed fast, a long burst of lines, slow lines with
 * pauses, step outputs, a failing step under `continue-on-error`, a secret echoed (the runner must show `***`),
 * `docker://` steps, a service's answer — and, for some jobs, a failing step, a `timeout-minutes` that expires, or a
 * cancel while a step runs. Every printed line is `<tag> <n>` with n = 1…count, so lost and repeated lines show.
 */
import type { EmuJob, JobConclusion, StandInStep } from '../github-emulator/state.js';

export interface ChaosImages {
  busybox: string;
  debian: string;
  httpService: string;
  noShell: string;
}

/** What one step must report. */
export interface ExpectedStep {
  name: string;
  /** The exact exit code, or `nonzero` (a timeout or a cancel: the signal decides). */
  exitCode: number | 'nonzero';
  /** The numbered lines `<tag> 1` … `<tag> <count>` the step prints, each exactly once and in order. */
  lines?: { tag: string; count: number };
  outputs?: Record<string, string>;
  /** A line that must appear verbatim (the masked secret). */
  contains?: string;
  /** The step may be missing (a cancel that lands before it starts). */
  optional?: boolean;
  /** A step stopped by a signal may have printed only the first lines (none lost in between, none repeated). */
  prefixOnly?: boolean;
}

export type JobKind = 'plain' | 'debian' | 'service' | 'docker-step' | 'fail' | 'timeout' | 'cancel';

export interface ChaosJob {
  n: number;
  kind: JobKind;
  name: string;
  labels: string[];
  workflow: string;
  message: {
    jobKey: string;
    container: { image: string; env: Record<string, string> };
    services?: { name: string; image: string; env: Record<string, string> }[];
  };
  steps: StandInStep[];
  secrets: string[];
  expected: { conclusion: JobConclusion; steps: ExpectedStep[] };
  /** Cancel the job once the step before this one has reported (the named step is then sleeping). */
  cancelDuring?: string;
  /** Filled in when queued. */
  emu?: EmuJob;
}

type Rand = () => number;
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/** A script that prints `<tag> 1` … `<tag> <count>` (busybox and debian both have seq). */
const numbered = (tag: string, count: number, pause?: string) =>
  pause
    ? `for i in $(seq 1 ${count}); do echo "${tag} $i"; sleep ${pause}; done`
    : `seq 1 ${count} | sed 's/^/${tag} /'`;

function workflowText(job: ChaosJob, stepImages: string[]): string {
  return [
    'name: chaos',
    'on: push',
    'jobs:',
    `  ${job.message.jobKey}:`,
    `    runs-on: [${job.labels.join(', ')}]`,
    `    name: ${job.name}`,
    `    container: { image: "${job.message.container.image}" }`,
    ...(job.message.services?.length
      ? ['    services:', ...job.message.services.map((s) => `      ${s.name}: { image: "${s.image}" }`)]
      : []),
    '    steps:',
    '      - run: "true"',
    ...stepImages.map((i) => `      - uses: docker://${i}`),
    '',
  ].join('\n');
}

/** A secret value unique to the run and job, never printed anywhere except by the step that must see it masked. */
export const secretFor = (seed: number, n: number, r: Rand) =>
  `chaosSecret-${seed}-${n}-${Math.floor(r() * 1e9).toString(36)}`;

/** The shared kinds of ordinary steps; each returns the step and what it must report. */
function ordinaryStep(r: Rand, tag: string, secret: string): [StandInStep, ExpectedStep] {
  const what = pick(r, [
    'fast',
    'fast',
    'fast',
    'fast',
    'long',
    'slow',
    'output',
    'continue',
    'secret',
    'job-secret',
  ] as const);
  switch (what) {
    case 'fast': {
      const count = int(r, 3, 40);
      return [
        { kind: 'script', name: tag, run: numbered(tag, count) },
        { name: tag, exitCode: 0, lines: { tag, count } },
      ];
    }
    case 'long': {
      const count = int(r, 1000, 3000);
      return [
        { kind: 'script', name: tag, run: numbered(tag, count) },
        { name: tag, exitCode: 0, lines: { tag, count } },
      ];
    }
    case 'slow': {
      const count = int(r, 4, 10);
      return [
        { kind: 'script', name: tag, run: numbered(tag, count, '0.3') },
        { name: tag, exitCode: 0, lines: { tag, count } },
      ];
    }
    case 'output': {
      const value = `v${int(r, 0, 1e6)}`;
      return [
        { kind: 'script', name: tag, run: `echo "${tag} 1"; echo "out=${value}" >> "$GITHUB_OUTPUT"` },
        { name: tag, exitCode: 0, lines: { tag, count: 1 }, outputs: { out: value } },
      ];
    }
    case 'continue': {
      const code = int(r, 1, 9);
      return [
        { kind: 'script', name: tag, run: `${numbered(tag, 3)}; exit ${code}`, continueOnError: true },
        { name: tag, exitCode: code, lines: { tag, count: 3 } },
      ];
    }
    case 'secret':
      return [
        { kind: 'script', name: tag, run: `echo "${tag} 1"; echo "token=$CHAOS_TOKEN"`, env: { CHAOS_TOKEN: secret } },
        { name: tag, exitCode: 0, lines: { tag, count: 1 }, contains: 'token=***' },
      ];
    case 'job-secret':
      // The job container's `env:` (set from a secret) reaches every step, masked in the log.
      return [
        { kind: 'script', name: tag, run: `echo "${tag} 1"; echo "jobtoken=$CHAOS_JOB_TOKEN"` },
        { name: tag, exitCode: 0, lines: { tag, count: 1 }, contains: 'jobtoken=***' },
      ];
  }
}

export function generateWorkload(
  seed: number,
  r: Rand,
  count: number,
  images: ChaosImages,
  opts: { minSteps: number; maxSteps: number },
): ChaosJob[] {
  const kinds: JobKind[] = ['plain', 'plain', 'debian', 'service', 'docker-step', 'fail', 'timeout', 'cancel'];
  const jobs: ChaosJob[] = [];
  for (let n = 1; n <= count; n++) {
    const kind = pick(r, kinds);
    const image = kind === 'debian' ? images.debian : images.busybox;
    const secret = secretFor(seed, n, r);
    const job: ChaosJob = {
      n,
      kind,
      name: `chaos-${seed}-${n}-${kind}`,
      labels: ['self-hosted', 'eci-virtual', `eci-bind-chaos-${seed}-${n}`],
      workflow: '',
      message: {
        jobKey: `j${n}`,
        container: { image, env: { CHAOS_JOB_TOKEN: secret } },
        // The service gets the secret too (its env travels through the agent, never the pod spec).
        ...(kind === 'service'
          ? { services: [{ name: 'web', image: images.httpService, env: { CHAOS_SERVICE_TOKEN: secret } }] }
          : {}),
      },
      steps: [],
      secrets: [secret],
      expected: { conclusion: 'success', steps: [] },
    };
    const add = (s: StandInStep, e: ExpectedStep) => {
      job.steps.push(s);
      job.expected.steps.push(e);
    };
    const stepImages: string[] = [];
    const total = int(r, opts.minSteps, opts.maxSteps);
    // Where the job's special step goes (after at least one ordinary step).
    const special = int(r, 1, Math.max(1, total - 2));
    let ended: 'failure' | 'cancelled' | undefined;
    for (let s = 0; s < total; s++) {
      const tag = `c${n}s${s}`;
      if (ended) {
        // After a failure or a cancel only `always()` steps run; the others are not reported at all.
        if (s === total - 1) {
          job.steps.push({ kind: 'script', name: tag, run: numbered(tag, 2), always: true });
          job.expected.steps.push({ name: tag, exitCode: 0, lines: { tag, count: 2 } });
        } else job.steps.push({ kind: 'script', name: tag, run: numbered(tag, 2) });
        continue;
      }
      if (s === special && kind === 'service') {
        add(
          {
            kind: 'script',
            name: tag,
            run: String.raw`for i in $(seq 1 20); do r=$(wget -qO- -T 2 http://localhost:8080/ 2>/dev/null) && break; sleep 0.5; done; echo "${tag} 1 $r"`,
          },
          { name: tag, exitCode: 0, contains: `${tag} 1 pong` },
        );
      } else if (s === special && kind === 'docker-step') {
        stepImages.push(images.noShell);
        const lines = int(r, 5, 60);
        add(
          { kind: 'container', name: tag, image: images.noShell, entrypoint: '/bin/busybox', args: `seq 1 ${lines}` },
          // The no-shell image can only count: its lines are bare numbers (tag '').
          { name: tag, exitCode: 0, lines: { tag: '', count: lines } },
        );
      } else if (s === special && kind === 'fail') {
        const code = int(r, 1, 9);
        add(
          { kind: 'script', name: tag, run: `${numbered(tag, 4)}; exit ${code}` },
          {
            name: tag,
            exitCode: code,
            lines: { tag, count: 4 },
          },
        );
        ended = 'failure';
      } else if (s === special && kind === 'timeout') {
        add(
          { kind: 'script', name: tag, run: `${numbered(tag, 3)}; sleep 60`, timeoutMinutes: 0.15 },
          { name: tag, exitCode: 'nonzero', lines: { tag, count: 3 }, prefixOnly: true },
        );
        ended = 'failure';
      } else if (s === special && kind === 'cancel') {
        add(
          { kind: 'script', name: tag, run: `${numbered(tag, 3)}; sleep 120` },
          { name: tag, exitCode: 'nonzero', lines: { tag, count: 3 }, optional: true, prefixOnly: true },
        );
        job.cancelDuring = tag;
        ended = 'cancelled';
      } else {
        const [step, expected] = ordinaryStep(r, tag, secret);
        add(step, expected);
      }
    }
    if (ended) job.expected.conclusion = ended;
    job.workflow = workflowText(job, stepImages);
    jobs.push(job);
  }
  return jobs;
}

/** Steps the job's script runs or reports (the figure `S` of the chaos line counts these). */
export const stepCount = (jobs: ChaosJob[]) => jobs.reduce((n, j) => n + j.expected.steps.length, 0);
