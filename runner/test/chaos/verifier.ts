/**
 * Judges a chaos run's jobs against what their scripts determine: a job is a wrong result when its conclusion, any
 * step's exit code, outputs or required line differs, or a step that must run is missing; lost or repeated lines
 * are counted separately, from each step's log as the GitHub emulator received it against the numbered lines the
 * step printed.
 */
import type { EmuJob } from '../github-emulator/state.js';
import type { ChaosJob, ExpectedStep } from './workload.js';

export interface LineCount {
  lost: number;
  repeated: number;
}

/** Lost and repeated lines of one step: `<tag> <n>` lines (bare numbers when the tag is empty) against 1…count. */
export function countLines(log: string, e: NonNullable<ExpectedStep['lines']>, prefixOnly = false): LineCount {
  const re = e.tag ? new RegExp(`^${e.tag} (\\d+)$`) : /^(\d+)$/;
  const seen = log
    .split('\n')
    .map((l) => re.exec(l.replace(/\r$/, ''))?.[1])
    .filter((x): x is string => x !== undefined)
    .map(Number);
  const distinct = new Set(seen);
  const repeated = seen.length - distinct.size;
  // Stopped by a signal, a step may end early: lines 1…k for some k, nothing missing before the last one seen.
  const expected = prefixOnly ? Math.max(0, ...seen) : e.count;
  let lost = 0;
  for (let i = 1; i <= expected; i++) if (!distinct.has(i)) lost++;
  const extra = [...distinct].filter((i) => i < 1 || i > e.count).length;
  return { lost: lost + extra, repeated };
}

export interface Verdict {
  /** Why the job is a wrong result, or undefined. */
  wrong: string | undefined;
  lines: LineCount;
}

/** The job's steps as reported, without the runner's own "Initialize containers". */
const reported = (job: EmuJob) => job.results.filter((r) => r.name !== 'Initialize containers');

export function judgeJob(want: ChaosJob, got: EmuJob | undefined): Verdict {
  const lines: LineCount = { lost: 0, repeated: 0 };
  if (!got || got.status !== 'completed') return { wrong: `not completed (${got?.status ?? 'never queued'})`, lines };
  const problems: string[] = [];
  if (got.conclusion !== want.expected.conclusion)
    problems.push(`conclusion ${got.conclusion}, expected ${want.expected.conclusion}`);
  const init = got.results.find((r) => r.name === 'Initialize containers');
  if (init && init.exitCode !== 0)
    problems.push(`Initialize containers exit ${init.exitCode}: ${init.log.slice(-300)}`);
  const steps = reported(got);
  const expectedNames = new Set(want.expected.steps.map((s) => s.name));
  for (const r of steps) if (!expectedNames.has(r.name)) problems.push(`step ${r.name} ran but must not`);
  const names = steps.map((r) => r.name);
  if (new Set(names).size !== names.length) problems.push(`a step reported twice: ${names.join(',')}`);
  for (const e of want.expected.steps) {
    const r = steps.find((s) => s.name === e.name);
    if (!r) {
      if (!e.optional) problems.push(`step ${e.name} missing`);
      continue;
    }
    if (e.exitCode === 'nonzero' ? r.exitCode === 0 : r.exitCode !== e.exitCode)
      problems.push(`step ${e.name} exit ${r.exitCode}, expected ${e.exitCode}: ${r.log.slice(-300)}`);
    if (e.outputs) {
      for (const [k, v] of Object.entries(e.outputs))
        if (r.outputs?.[k] !== v) problems.push(`step ${e.name} output ${k}=${r.outputs?.[k]}, expected ${v}`);
    }
    if (e.contains && !r.log.split('\n').includes(e.contains))
      problems.push(`step ${e.name} lacks the line "${e.contains}": ${r.log.slice(-200)}`);
    if (e.lines) {
      const c = countLines(r.log, e.lines, e.prefixOnly);
      lines.lost += c.lost;
      lines.repeated += c.repeated;
    }
  }
  return { wrong: problems.length ? problems.join('; ') : undefined, lines };
}
