/**
 * Renders a workflow run for people (live step progress, indented output, ::group:: folding markers, highlighted
 * ::error::/::warning:: annotations, a table per job and one for the run) or as JSON lines (`--json`) for machines.
 *
 * Jobs run side by side, so each job gets its own reporter (`forJob`): when several jobs run, every line a job
 * writes starts with `[job name] ` (in a colour of its own on a terminal) and lines of different jobs interleave
 * whole; every JSON event of a job carries `job` (its id) and `jobName`.
 */
import type { JobReporter, JobResult, StepResult } from '../local-run/reporter.js';
import type { WorkflowCommand } from '../local-run/output/workflow-commands.js';

const color = (code: number, enabled: boolean) => (s: string) => (enabled ? `\x1b[${code}m${s}\x1b[0m` : s);
const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
/** Job label colours: cyan, magenta, blue, bright green, bright cyan, bright magenta, bright blue, bright yellow. */
const LABEL_COLORS = [36, 35, 34, 92, 96, 95, 94, 93];
const useColors = () => process.stdout.isTTY === true && !process.env.NO_COLOR;

/** What `eci-virtual run` reports as a whole; each job reports through its own JobReporter. */
export interface RunRenderer {
  /** The reporter of one job (or matrix leg); `labelled` prefixes its lines with its name. */
  forJob(job: { id: string; name: string }, labelled: boolean): JobReporter;
  warn(message: string): void;
  /** The end of the run: every job with its conclusion, and the exit code. */
  finished(results: JobResult[], exitCode: number): void;
}

export class HumanRunRenderer implements RunRenderer {
  private jobs = 0;
  private readonly top: HumanRenderer;

  constructor(
    private readonly write: (s: string) => void = (s) => process.stdout.write(s),
    private readonly colors = useColors(),
  ) {
    this.top = new HumanRenderer(write, colors);
  }

  forJob(job: { id: string; name: string }, labelled: boolean): JobReporter {
    const code = LABEL_COLORS[this.jobs++ % LABEL_COLORS.length]!;
    return new HumanRenderer(this.write, this.colors, labelled ? `[${job.name}]` : '', code);
  }

  warn(message: string): void {
    this.top.warn(message);
  }

  finished(results: JobResult[], exitCode: number): void {
    if (results.length < 2) return;
    const c = (code: number) => color(code, this.colors);
    const width = Math.min(44, Math.max(...results.map((r) => r.name.length)));
    const lines = results.map((r) => {
      const state =
        r.conclusion === 'success'
          ? c(32)('✓ success  ')
          : r.conclusion === 'failure'
            ? c(31)('✗ failure  ')
            : r.conclusion === 'cancelled'
              ? c(33)('⊘ cancelled')
              : c(2)('○ skipped  ');
      const took = r.pod ? c(2)(seconds(r.timings.totalMs).padStart(7)) : ''.padStart(7);
      const why = r.error ? c(2)(`  ${r.error.split('\n')[0]}`) : '';
      return `  ${r.name.padEnd(width)}  ${state} ${took}${why}`.trimEnd() + '\n';
    });
    this.write(`\n${c(1)('jobs')}\n${lines.join('')}${c(2)(`exit code ${exitCode}`)}\n`);
  }
}

export class JsonRunRenderer implements RunRenderer {
  constructor(private readonly write: (s: string) => void = (s) => process.stdout.write(s)) {}
  /** Every event carries the job, so JSON needs no label. */
  forJob(job: { id: string; name: string }, _labelled?: boolean): JobReporter {
    return new JsonRenderer(this.write, job);
  }
  warn(message: string): void {
    new JsonRenderer(this.write).warn(message);
  }
  finished(results: JobResult[], exitCode: number): void {
    new JsonRenderer(this.write).runFinished(results, exitCode);
  }
}

export class HumanRenderer implements JobReporter {
  private readonly red: (s: string) => string;
  private readonly yellow: (s: string) => string;
  private readonly green: (s: string) => string;
  private readonly dim: (s: string) => string;
  private readonly bold: (s: string) => string;
  private prefix = '';
  private readonly write: (s: string) => void;

  /** `label` starts every line, painted `labelColor` (jobs running side by side); each line is written whole. */
  constructor(
    out: (s: string) => void = (s) => process.stdout.write(s),
    colors = useColors(),
    label = '',
    labelColor = 1,
  ) {
    const painted = color(labelColor, colors)(label);
    this.write = label
      ? (s) =>
          out(
            s
              .split('\n')
              .map((line, i, all) => (i === all.length - 1 ? line : `${painted}${line ? ` ${line}` : ''}\n`))
              .join(''),
          )
      : out;
    this.red = color(31, colors);
    this.yellow = color(33, colors);
    this.green = color(32, colors);
    this.dim = color(2, colors);
    this.bold = color(1, colors);
  }

  jobStarted(job: { id: string; name: string; pod: string }): void {
    this.write(`${this.bold(`● ${job.name}`)} ${this.dim(`(pod ${job.pod})`)}\n`);
  }
  podScheduled(node: string, ms: number): void {
    this.write(this.dim(`  scheduled on ${node} after ${seconds(ms)}\n`));
  }
  podRunning(ms: number): void {
    this.write(this.dim(`  pod running after ${seconds(ms)}\n`));
  }
  stepStarted(_index: number, name: string): void {
    this.prefix = '';
    this.write(`${this.bold(`▶ ${name}`)}\n`);
  }
  stepLine(_index: number, line: string, command?: WorkflowCommand): void {
    if (!command) return this.write(`  ${this.prefix}${line}\n`);
    switch (command.name) {
      case 'group':
        this.write(`  ${this.bold(`▾ ${command.message}`)}\n`);
        this.prefix = '│ ';
        return;
      case 'endgroup':
        this.prefix = '';
        return;
      case 'error':
      case 'warning':
      case 'notice': {
        const where = command.properties.file
          ? ` ${command.properties.file}${command.properties.line ? `:${command.properties.line}` : ''}`
          : '';
        const label = `${command.name.toUpperCase()}${where}${command.properties.title ? ` ${command.properties.title}` : ''}:`;
        const paint = command.name === 'error' ? this.red : command.name === 'warning' ? this.yellow : this.dim;
        return this.write(`  ${this.prefix}${paint(`${label} ${command.message}`)}\n`);
      }
      case 'debug':
        return process.env.ACTIONS_STEP_DEBUG === 'true'
          ? this.write(this.dim(`  ${this.prefix}[debug] ${command.message}\n`))
          : undefined;
      default:
        return; // set-output, save-state, stop-commands…: not for display
    }
  }
  stepFinished(r: StepResult): void {
    if (r.outcome === 'skipped') return this.write(this.dim(`○ ${r.name} skipped\n`));
    const mark =
      r.conclusion === 'success' && r.outcome === 'failure'
        ? this.yellow(`✗ failed (continue-on-error)`)
        : r.conclusion === 'success'
          ? this.green('✓')
          : r.conclusion === 'cancelled'
            ? this.yellow('⊘ cancelled')
            : this.red(`✗ ${r.error ?? 'failed'}`);
    this.write(`  ${mark} ${this.dim(seconds(r.durationMs))}\n`);
  }
  jobFinished(r: JobResult): void {
    if (!r.pod) {
      // Never started: skipped by its if: or its needs, cancelled before it started, or a bad if:.
      const how =
        r.conclusion === 'skipped'
          ? this.dim('○ skipped')
          : r.conclusion === 'cancelled'
            ? this.yellow('⊘ cancelled')
            : this.red('✗ failed');
      return this.write(`${this.bold(r.name)} ${how}${r.error ? this.dim(`: ${r.error}`) : ''}\n`);
    }
    const verdict =
      r.conclusion === 'success'
        ? this.green('succeeded')
        : r.conclusion === 'cancelled'
          ? this.yellow('cancelled')
          : this.red('failed');
    this.write(
      `\n${this.bold(r.name)} ${verdict} in ${seconds(r.timings.totalMs)}${r.node ? this.dim(` on ${r.node}`) : ''}\n`,
    );
    if (r.error) this.write(this.red(`  ${r.error}\n`));
    for (const [k, v] of Object.entries(r.outputs ?? {})) this.write(this.dim(`  output ${k}=${v}\n`));
    const summaries = r.steps.filter((s) => s.summary?.trim());
    if (summaries.length) {
      this.write(this.bold('  summary\n'));
      for (const s of summaries) for (const line of s.summary!.trimEnd().split('\n')) this.write(`  │ ${line}\n`);
    }
    const t = r.timings;
    if (t.runningMs !== undefined) {
      this.write(
        this.dim(
          `  pod created ${seconds(t.podCreatedMs ?? 0)} · running ${seconds(t.runningMs)}${t.firstStepMs !== undefined ? ` · first step ${seconds(t.firstStepMs)}` : ''}\n`,
        ),
      );
    }
    for (const [row, s] of r.steps.entries()) {
      const state =
        s.outcome === 'skipped'
          ? this.dim('skipped')
          : s.conclusion === 'success' && s.outcome === 'success'
            ? this.green('success')
            : s.conclusion === 'success'
              ? this.yellow('failure (ignored)')
              : this.red(s.conclusion);
      this.write(
        `  ${String(row + 1).padStart(2)}. ${s.name.padEnd(44)} ${state}${s.outcome === 'skipped' ? '' : this.dim(` ${seconds(s.durationMs)}`)}\n`,
      );
    }
  }
  warn(message: string): void {
    this.write(this.yellow(`warning: ${message}\n`));
  }
}

/** One JSON object per line: {"event": ..., ...}. */
export class JsonRenderer implements JobReporter {
  /** `job`: every event carries its id (`job`) and name (`jobName`). */
  constructor(
    private readonly write: (s: string) => void = (s) => process.stdout.write(s),
    private readonly job?: { id: string; name: string },
  ) {}
  private emit(event: string, data: Record<string, unknown>): void {
    const job = this.job ? { job: this.job.id, jobName: this.job.name } : {};
    this.write(JSON.stringify({ event, ts: new Date().toISOString(), ...job, ...data }) + '\n');
  }
  runFinished(results: JobResult[], code: number): void {
    this.emit('run.finished', {
      code,
      jobs: results.map((r) => ({
        job: r.job,
        name: r.name,
        conclusion: r.conclusion,
        ...(r.error ? { error: r.error } : {}),
      })),
    });
  }
  jobStarted(job: { id: string; name: string; pod: string }): void {
    this.emit('job.started', job);
  }
  podScheduled(node: string, ms: number): void {
    this.emit('pod.scheduled', { node, ms });
  }
  podRunning(ms: number): void {
    this.emit('pod.running', { ms });
  }
  stepStarted(index: number, name: string): void {
    this.emit('step.started', { index, name });
  }
  stepLine(index: number, line: string, command?: WorkflowCommand): void {
    this.emit('step.output', { index, line, ...(command ? { command } : {}) });
  }
  stepFinished(r: StepResult): void {
    this.emit('step.finished', { ...r });
  }
  jobFinished(r: JobResult): void {
    this.emit('job.finished', { ...r, jobName: r.name });
  }
  warn(message: string): void {
    this.emit('warning', { message });
  }
}
