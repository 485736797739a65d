/**
 * Renders a job run for people (live step progress, indented output, ::group:: folding markers, highlighted
 * ::error::/::warning:: annotations, a summary table) or as JSON lines (`--json`) for machines.
 */
import type { JobReporter, JobResult, StepResult } from '../local-run/reporter.js';
import type { WorkflowCommand } from '../local-run/output/workflow-commands.js';

const color = (code: number, enabled: boolean) => (s: string) => (enabled ? `\x1b[${code}m${s}\x1b[0m` : s);
const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;

export class HumanRenderer implements JobReporter {
  private readonly red: (s: string) => string;
  private readonly yellow: (s: string) => string;
  private readonly green: (s: string) => string;
  private readonly dim: (s: string) => string;
  private readonly bold: (s: string) => string;
  private prefix = '';

  constructor(
    private readonly write: (s: string) => void = (s) => process.stdout.write(s),
    colors = process.stdout.isTTY === true && !process.env.NO_COLOR,
  ) {
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
  constructor(private readonly write: (s: string) => void = (s) => process.stdout.write(s)) {}
  private emit(event: string, data: Record<string, unknown>): void {
    this.write(JSON.stringify({ event, ts: new Date().toISOString(), ...data }) + '\n');
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
    this.emit('job.finished', { ...r });
  }
  warn(message: string): void {
    this.emit('warning', { message });
  }
}
