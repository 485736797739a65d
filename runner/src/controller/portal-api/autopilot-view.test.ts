import { describe, expect, it } from '@jest/globals';
import type { LoggedDecision } from '../image-cache-autopilot/decision-log.js';
import { KANIKO_BASE_REASON } from '../image-cache-autopilot/planner.js';
import { toAutopilotDecision } from './autopilot-view.js';

const AT = Date.parse('2026-03-09T12:00:00Z');

describe('autopilot view', () => {
  it('shows a learnt kaniko base image with its weight, uses and why it is not cached', () => {
    const d: LoggedDecision = {
      action: 'skip',
      repo: 'o/img',
      name: '',
      images: ['golang:1.23'],
      weight: 45.04,
      uses: 3,
      reason: KANIKO_BASE_REASON,
      at: AT,
      pass: 2,
      outcome: 'noop',
      repeats: 1,
      lastAt: AT + 600_000,
    };
    expect(toAutopilotDecision(d)).toEqual({
      at: '2026-03-09T12:00:00.000Z',
      pass: 2,
      action: 'skip',
      outcome: 'noop',
      reason: 'kaniko base image: learned; kaniko pulls it itself, a cache cannot serve it',
      name: '',
      images: ['golang:1.23'],
      weight: 45,
      uses: 3,
      lastAt: '2026-03-09T12:10:00.000Z',
      repeats: 1,
    });
  });
});
