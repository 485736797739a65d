import { describe, expect, it } from '@jest/globals';
import type { EmuJob } from '../github-emulator/state.js';
import { countLines, judgeJob } from './verifier.js';
import { generateWorkload, stepCount, type ChaosJob } from './workload.js';
import { seededRandom } from '../seeded-random.js';

const images = { busybox: 'bb', debian: 'deb', httpService: 'http', noShell: 'ns' };

describe('countLines', () => {
  it('counts lost and repeated numbered lines, ignoring other output', () => {
    expect(countLines('x 1\nx 2\nx 3\n', { tag: 'x', count: 3 })).toEqual({ lost: 0, repeated: 0 });
    expect(countLines('hook says hi\nx 1\nx 3\nx 3\n', { tag: 'x', count: 3 })).toEqual({ lost: 1, repeated: 1 });
    expect(countLines('1\n2\n', { tag: '', count: 4 })).toEqual({ lost: 2, repeated: 0 });
  });

  it('accepts a step stopped early only when nothing before its last line is missing', () => {
    expect(countLines('x 1\nx 2\n', { tag: 'x', count: 3 }, true)).toEqual({ lost: 0, repeated: 0 });
    expect(countLines('x 2\n', { tag: 'x', count: 3 }, true)).toEqual({ lost: 1, repeated: 0 });
  });
});

/** The job as GitHub would record it when every step reported what the workload expects. */
function asExpected(job: ChaosJob): EmuJob {
  const results = job.expected.steps.map((e) => ({
    name: e.name,
    exitCode: e.exitCode === 'nonzero' ? 143 : e.exitCode,
    log: [
      ...(e.lines
        ? Array.from({ length: e.lines.count }, (_, i) => `${e.lines!.tag ? `${e.lines!.tag} ` : ''}${i + 1}`)
        : []),
      ...(e.contains ? [e.contains] : []),
      '',
    ].join('\n'),
    ...(e.outputs ? { outputs: e.outputs } : {}),
  }));
  return { id: job.n, status: 'completed', conclusion: job.expected.conclusion, name: job.name, results } as EmuJob;
}

describe('judgeJob', () => {
  const jobs = generateWorkload(7, seededRandom(7), 40, images, { minSteps: 5, maxSteps: 12 });

  it('is reproducible from the seed and mixes every job kind', () => {
    const again = generateWorkload(7, seededRandom(7), 40, images, { minSteps: 5, maxSteps: 12 });
    expect(again.map((j) => j.workflow)).toEqual(jobs.map((j) => j.workflow));
    expect(new Set(jobs.map((j) => j.kind)).size).toBe(7);
    expect(stepCount(jobs)).toBeGreaterThan(40 * 3);
  });

  it('finds nothing wrong in jobs that reported what their scripts determine', () => {
    for (const j of jobs)
      expect(judgeJob(j, asExpected(j))).toEqual({ wrong: undefined, lines: { lost: 0, repeated: 0 } });
  });

  it('calls a green step that had to fail, a lost step, a wrong output or an unmasked secret wrong', () => {
    const failing = jobs.find((j) => j.kind === 'fail')!;
    const green = asExpected(failing);
    green.conclusion = 'success';
    expect(judgeJob(failing, green).wrong).toMatch(/conclusion success, expected failure/);

    const plain = jobs.find((j) => j.expected.steps.length > 2 && j.kind === 'plain')!;
    const lost = asExpected(plain);
    lost.results.splice(1, 1);
    expect(judgeJob(plain, lost).wrong).toMatch(/missing/);

    const withSecret = jobs.find((j) => j.expected.steps.some((s) => s.contains === 'token=***'))!;
    const leaked = asExpected(withSecret);
    const step = leaked.results.find((r) => r.log.includes('token=***'))!;
    step.log = step.log.replace('token=***', `token=${withSecret.secrets[0]}`);
    expect(judgeJob(withSecret, leaked).wrong).toMatch(/lacks the line "token=\*\*\*"/);

    expect(judgeJob(plain, undefined).wrong).toMatch(/not completed/);
  });
});
