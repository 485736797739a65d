import { describe, expect, it } from '@jest/globals';
import { ResponseError } from '@backstage/errors';
import { renderInTestApp } from '@backstage/test-utils';
import { screen, within } from '@testing-library/react';
import { aggregatesResponse } from '../../__fixtures__/jobs.js';
import { CostPerDayPanel } from './CostPerDayPanel.js';

describe('CostPerDayPanel', () => {
  it('draws a bar per day of the window, stacked by repository, and lists this repository’s days with a total', async () => {
    await renderInTestApp(<CostPerDayPanel repo="acme/widgets" aggregates={aggregatesResponse()} />);
    expect(screen.getByText('Cost per day')).toBeTruthy();
    expect(screen.getByText(/last 7 days, per repository/)).toBeTruthy();
    const bars = screen.getAllByTestId(/^cost-bar-/);
    expect(bars.map((b) => b.getAttribute('data-testid'))).toEqual(
      ['14', '15', '16', '17', '18', '19', '20'].map((d) => `cost-bar-2026-11-${d}`),
    );
    // This repository's segment on its two days, none on the 19th (only acme/gadgets ran then).
    expect(screen.getByTestId('cost-day-2026-11-18').getAttribute('data-usd')).toBe('0.0124');
    expect(screen.getByTestId('cost-day-2026-11-20').getAttribute('data-usd')).toBe('0.0056');
    expect(screen.queryByTestId('cost-day-2026-11-19')).toBeNull();
    const nineteenth = screen.getByTestId('cost-bar-2026-11-19');
    expect(nineteenth.querySelectorAll('rect')).toHaveLength(1);
    expect(nineteenth.querySelector('title')?.textContent).toBe('acme/gadgets, 2026-11-19: $0.0042 (2 jobs)');
    // Heights in proportion: the 18th's segment is 0.0124 / 0.0056 times the 20th's.
    const height = (id: string) => Number(screen.getByTestId(id).getAttribute('height'));
    expect(height('cost-day-2026-11-18') / height('cost-day-2026-11-20')).toBeCloseTo(0.0124 / 0.0056, 6);

    const rows = screen.getAllByTestId(/^cost-row-2026/);
    expect(rows.map((r) => r.getAttribute('data-testid'))).toEqual(['cost-row-2026-11-20', 'cost-row-2026-11-18']);
    expect([...rows[0]!.querySelectorAll('td')].map((c) => c.textContent)).toEqual([
      '2026-11-20',
      '3',
      '6m 02s',
      '$0.0056',
    ]);
    expect(screen.getByTestId('cost-total').textContent).toBe('$0.02');
    expect(screen.getByTestId('cost-total-all').textContent).toBe('$0.02');
    expect(screen.getByText(/1 other repository/)).toBeTruthy();
  });

  it('labels a sub-cent value axis with significant digits, not "<$0.0001"', async () => {
    const tiny = aggregatesResponse();
    tiny.perRepositoryDay = tiny.perRepositoryDay.map((d) => ({ ...d, costUsd: d.costUsd / 1000 }));
    await renderInTestApp(<CostPerDayPanel repo="acme/widgets" aggregates={tiny} />);
    const ticks = [...screen.getByTestId('cost-per-day-chart').querySelectorAll('text')].map((t) => t.textContent);
    // The highest day is 0.0124 / 1000 US$: the axis tops at 0.00002 (niceCeiling), halfway 0.00001.
    expect(ticks.slice(0, 3)).toEqual(['$0.00', '$0.00001', '$0.00002']);
  });

  it('says so when no job cost anything in the window', async () => {
    const empty = { ...aggregatesResponse(), perDay: [], perRepository: [], perRepositoryDay: [] };
    await renderInTestApp(<CostPerDayPanel repo="acme/widgets" aggregates={empty} />);
    expect(screen.getByTestId('cost-per-day-empty').textContent).toBe('No job cost in the last 7 days.');
    expect(screen.queryByTestId('cost-per-day-chart')).toBeNull();
  });

  it('shows progress until the answer comes, and the controller’s error when there is none', async () => {
    const { unmount } = await renderInTestApp(<CostPerDayPanel repo="acme/widgets" />);
    expect(within(screen.getByTestId('cost-per-day-panel')).getByTestId('progress')).toBeTruthy();
    unmount();
    // Shaped like fetch's Response (jsdom has none): what the controller answers without a history database.
    const body = JSON.stringify({ error: { code: 'unavailable', message: 'no job history database is open' } });
    const refused = await ResponseError.fromResponse({
      ok: false,
      status: 503,
      statusText: 'Service Unavailable',
      url: 'http://backstage.test/api/proxy/eci-virtual/v1/aggregates?repo=acme%2Fwidgets',
      headers: { get: (name: string) => (name.toLowerCase() === 'content-type' ? 'application/json' : null) },
      text: async () => body,
    } as unknown as Parameters<typeof ResponseError.fromResponse>[0]);
    await renderInTestApp(<CostPerDayPanel repo="acme/widgets" error={refused} />);
    const panel = screen.getByTestId('cost-per-day-panel');
    expect(panel.textContent).toContain('Could not load the cost per day');
    expect(panel.textContent).toContain('503');
    expect(panel.textContent).toContain('no job history database is open');
  });
});
