import { describe, expect, it } from '@jest/globals';
import { renderInTestApp } from '@backstage/test-utils';
import { fireEvent, screen, within } from '@testing-library/react';
import { aggregatesResponse } from '../../__fixtures__/jobs.js';
import { QueueTrendPanel } from './QueueTrendPanel.js';

const points = (line: 'p50' | 'p95') =>
  screen
    .getAllByTestId(new RegExp(`^queue-trend-${line}-`))
    .map((c) => [c.getAttribute('data-testid')!.slice(`queue-trend-${line}-`.length), c.getAttribute('data-ms')]);

describe('QueueTrendPanel', () => {
  it('draws p50 and p95 per day of the entity’s repository, and lets the user pick another repository', async () => {
    await renderInTestApp(<QueueTrendPanel repo="acme/widgets" aggregates={aggregatesResponse()} />);
    expect(screen.getByText('Queue time p50/p95 per repository')).toBeTruthy();
    const select = screen.getByTestId('queue-trend-repository') as HTMLSelectElement;
    expect(select.value).toBe('acme/widgets');
    expect([...select.options].map((o) => o.value)).toEqual(['acme/gadgets', 'acme/widgets']);
    expect(points('p50')).toEqual([
      ['2026-11-18', '1800'],
      ['2026-11-20', '1500'],
    ]);
    expect(points('p95')).toEqual([
      ['2026-11-18', '4200'],
      ['2026-11-20', '9120'],
    ]);
    expect(screen.getByTestId('queue-trend-latest').textContent).toContain('2026-11-20: p50 1.50 s, p95 9.12 s');
    // The 18th sits 4 of 6 day-steps along the window (14th … 20th), the 20th at its right end.
    const cx = (id: string) => Number(screen.getByTestId(id).getAttribute('cx'));
    const left =
      cx('queue-trend-p50-2026-11-18') - (cx('queue-trend-p50-2026-11-20') - cx('queue-trend-p50-2026-11-18')) * 2;
    expect((cx('queue-trend-p50-2026-11-18') - left) / (cx('queue-trend-p50-2026-11-20') - left)).toBeCloseTo(4 / 6, 6);

    fireEvent.change(select, { target: { value: 'acme/gadgets' } });
    expect(points('p50')).toEqual([['2026-11-19', '2500']]);
    expect(points('p95')).toEqual([['2026-11-19', '3500']]);
    expect(within(screen.getByTestId('queue-trend-chart')).getByText('2026-11-14')).toBeTruthy();
  });

  it('starts on the first repository with queue times when the entity’s has none in the window', async () => {
    await renderInTestApp(<QueueTrendPanel repo="acme/elsewhere" aggregates={aggregatesResponse()} />);
    expect((screen.getByTestId('queue-trend-repository') as HTMLSelectElement).value).toBe('acme/gadgets');
  });

  it('says so when no job of any repository reached running', async () => {
    const answer = aggregatesResponse();
    const never = {
      ...answer,
      perRepositoryDay: answer.perRepositoryDay.map(({ queueP50Ms: _a, queueP95Ms: _b, avgQueueMs: _c, ...d }) => d),
    };
    await renderInTestApp(<QueueTrendPanel repo="acme/widgets" aggregates={never} />);
    expect(screen.getByTestId('queue-trend-empty').textContent).toBe('No job reached running in this period.');
  });
});
