import { describe, expect, it } from '@jest/globals';
import { InvalidInput } from '@eci-virtual/contract';
import { parseWorkflowJob, runnerLabels, servesLabels } from './workflow-job.js';

const raw = {
  id: 42,
  run_id: 7,
  run_attempt: 2,
  name: 'test (18)',
  workflow_name: 'CI',
  head_sha: 'abc',
  labels: ['self-hosted', 'eci-virtual'],
  status: 'queued',
  conclusion: null,
  created_at: '2026-01-01T00:00:00Z',
  runner_name: null,
};

describe('workflow_job parsing', () => {
  it('keeps what the controller needs', () => {
    expect(parseWorkflowJob(raw, 'o/r')).toMatchObject({
      id: 42,
      runId: 7,
      runAttempt: 2,
      repo: 'o/r',
      name: 'test (18)',
      labels: ['self-hosted', 'eci-virtual'],
      runnerName: null,
    });
  });

  it('takes the first own step’s start: the earliest started_at after "Set up job" (step 1)', () => {
    const steps = [
      { name: 'Set up job', number: 1, started_at: '2026-01-01T00:00:05Z' },
      { name: 'b', number: 3, started_at: '2026-01-01T00:00:09Z' },
      { name: 'a', number: 2, started_at: '2026-01-01T00:00:07Z' },
      { name: 'pending', number: 4, started_at: null },
    ];
    expect(parseWorkflowJob({ ...raw, steps }, 'o/r').firstStepAt).toBe('2026-01-01T00:00:07Z');
    expect(parseWorkflowJob({ ...raw, steps: steps.slice(0, 1) }, 'o/r').firstStepAt).toBeNull();
    expect(parseWorkflowJob({ ...raw, steps: 'x' }, 'o/r').firstStepAt).toBeNull();
  });

  it('drops null labels (GitHub’s webhook schema allows them) but refuses other non-strings', () => {
    expect(parseWorkflowJob({ ...raw, labels: [null, 'eci-virtual', null] }, 'o/r').labels).toEqual(['eci-virtual']);
    expect(() => parseWorkflowJob({ ...raw, labels: ['eci-virtual', 3] }, 'o/r')).toThrow(/labels/);
  });

  it('rejects malformed objects with the field name', () => {
    expect(() => parseWorkflowJob({ ...raw, id: 'x' }, 'o/r')).toThrow(/workflow_job.id/);
    expect(() => parseWorkflowJob({ ...raw, labels: 'eci' }, 'o/r')).toThrow(InvalidInput);
    expect(() => parseWorkflowJob(null, 'o/r')).toThrow(/object/);
  });
});

describe('label matching', () => {
  it('serves jobs asking only for our labels (self-hosted implied)', () => {
    expect(servesLabels(['self-hosted', 'eci-virtual'], ['eci-virtual'])).toBe(true);
    expect(servesLabels(['ECI-Virtual'], ['eci-virtual'])).toBe(true);
  });
  it('ignores jobs needing a label we lack, or none of ours', () => {
    expect(servesLabels(['self-hosted', 'eci-virtual', 'gpu'], ['eci-virtual'])).toBe(false);
    expect(servesLabels(['ubuntu-latest'], ['eci-virtual'])).toBe(false);
    expect(servesLabels(['self-hosted'], ['eci-virtual'])).toBe(false);
    expect(servesLabels([], ['eci-virtual'])).toBe(false);
  });
  it('serves binding labels and registers a bound job runner with exactly its labels', () => {
    const bound = ['self-hosted', 'eci-virtual', 'eci-bind-99-build-0'];
    expect(servesLabels(bound, ['eci-virtual'])).toBe(true);
    expect(servesLabels(['eci-bind-99-build-0'], ['eci-virtual'])).toBe(false); // none of ours
    expect(runnerLabels(bound, ['eci-virtual', 'linux'])).toEqual(bound);
    expect(runnerLabels(['self-hosted', 'eci-virtual'], ['eci-virtual', 'linux'])).toEqual(['eci-virtual', 'linux']);
    // GitHub's rule (a runner takes a job only if it has all the job's labels): another bound job cannot take it.
    const takes = (runner: string[], job: string[]) => job.every((l) => runner.includes(l));
    const other = ['self-hosted', 'eci-virtual', 'eci-bind-99-lint-0'];
    expect(takes(runnerLabels(bound, ['eci-virtual']), other)).toBe(false);
    expect(takes(runnerLabels(other, ['eci-virtual']), other)).toBe(true);
  });
});

describe('GitHub route labels', () => {
  it('keeps metric labels bounded', async () => {
    const { routeOf } = await import('./github-client.js');
    expect(routeOf('get', 'https://api.github.com/repos/o/r/actions/runs/123/jobs?per_page=100')).toBe(
      'GET /repos/:owner/:repo/actions/runs/:id/jobs',
    );
    expect(routeOf('GET', 'https://ghe.example.com/api/v3/repos/o/r/contents/.github%2Fci.yml?ref=abc')).toBe(
      'GET /repos/:owner/:repo/contents/:path',
    );
    expect(routeOf('DELETE', 'http://127.0.0.1:1/orgs/acme/actions/runners/7')).toBe(
      'DELETE /orgs/:org/actions/runners/:id',
    );
  });
});
