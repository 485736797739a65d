import { describe, expect, it, jest } from '@jest/globals';
import { renderInTestApp } from '@backstage/test-utils';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { useState } from 'react';
import { makeJob } from '../../__fixtures__/jobs.js';
import type { JobRecord } from '@eci-virtual/contract';
import { JobsTable } from './JobsTable.js';

/** Row ids in display order. */
const order = () =>
  screen.getAllByTestId(/^job-row-/).map((row) => row.getAttribute('data-testid')!.slice('job-row-'.length));

/** 25 finished jobs, newest (id 125) first as the controller answers. */
const many: JobRecord[] = Array.from({ length: 25 }, (_, i) =>
  makeJob({ id: String(101 + i), job: `step-${String(i + 1).padStart(2, '0')}` }),
).reverse();

/** Five jobs that differ in every filterable and sortable column; newest first. */
const varied: JobRecord[] = [
  makeJob({
    id: '5',
    workflow: 'Nightly',
    job: 'lint',
    status: 'queued',
    conclusion: undefined,
    node: undefined,
    pod: undefined,
    imageCache: { used: false, images: [] },
    timestamps: { queuedAt: '2026-11-20T14:00:00.000Z' },
    latency: {},
    durationSeconds: undefined,
    estimatedCostUsd: undefined,
  }),
  makeJob({
    id: '4',
    workflow: 'Release',
    job: 'publish',
    status: 'cancelled',
    conclusion: 'cancelled',
    node: { name: 'kind-worker', type: 'regular' },
    imageCache: { used: false, images: [] },
    timestamps: { queuedAt: '2026-11-20T13:00:00.000Z' },
    latency: { queuedToRunningMs: 4000 },
    durationSeconds: 30,
    estimatedCostUsd: 0.00002,
  }),
  makeJob({
    id: '3',
    workflow: 'CI',
    job: 'e2e',
    status: 'failed',
    conclusion: 'failure',
    node: { name: 'virtual-kubelet-eci', type: 'virtual' },
    imageCache: { used: true, images: ['node:20-bookworm'] },
    timestamps: { queuedAt: '2026-11-20T12:00:00.000Z' },
    latency: { queuedToRunningMs: 2000 },
    durationSeconds: 3700,
    estimatedCostUsd: 1.234,
  }),
  makeJob({
    id: '2',
    workflow: 'CI',
    job: 'test',
    status: 'succeeded',
    node: { name: 'kind-worker', type: 'regular' },
    imageCache: { used: false, images: [] },
    timestamps: { queuedAt: '2026-11-20T11:00:00.000Z' },
    latency: { queuedToRunningMs: 9000 },
    durationSeconds: 120,
    estimatedCostUsd: 0.0021,
  }),
  makeJob({
    id: '1',
    workflow: 'CI',
    job: 'build',
    status: 'succeeded',
    timestamps: { queuedAt: '2026-11-20T10:00:00.000Z' },
    latency: { queuedToRunningMs: 1500 },
    durationSeconds: 181.42,
    estimatedCostUsd: 0.0035,
  }),
];

function renderTable(list: JobRecord[], onSelect: (job: JobRecord) => void = jest.fn()) {
  return renderInTestApp(<JobsTable jobs={list} onSelect={onSelect} />);
}

/** Like the tab does on auto-refresh: the same table, a new jobs array. */
function RefreshingTable(props: { first: JobRecord[]; second: JobRecord[] }) {
  const [list, setList] = useState(props.first);
  return (
    <>
      <button type="button" onClick={() => setList(props.second)}>
        simulate refresh
      </button>
      <JobsTable jobs={list} onSelect={() => {}} />
    </>
  );
}

/** Each row's Cost cell. */
const costs = () => screen.getAllByTestId('job-cost').map((cell) => cell.textContent);

/**
 * A lookup column's filter: material-table's multi-select, `select-multiple-checkbox<column index>`. Picking options
 * changes nothing yet; the selection applies when the menu closes.
 */
async function pickInFilter(columnIndex: number, labels: string[]) {
  const input = document.getElementById(`select-multiple-checkbox${columnIndex}`);
  expect(input).toBeTruthy();
  const select = within(input!.parentElement!).getByRole('button');
  fireEvent.mouseDown(select);
  const listbox = await screen.findByRole('listbox');
  for (const label of labels) fireEvent.click(within(listbox).getByText(label));
  return {
    close: async () => {
      fireEvent.keyDown(listbox, { key: 'Escape' });
      await waitFor(() => expect(screen.queryByRole('listbox')).toBeNull());
    },
  };
}

const STATUS = 1;
const PLACEMENT = 2;
const IMAGE_CACHE = 6;

describe('JobsTable paging', () => {
  it('shows 20 rows a page and pages forward and back', async () => {
    await renderTable(many);
    expect(order()).toEqual(many.slice(0, 20).map((job) => job.id));
    expect(screen.getAllByText('1-20 of 25').length).toBeGreaterThan(0);
    expect(screen.getAllByRole('button', { name: 'Previous Page' })[0]!.hasAttribute('disabled')).toBe(true);

    fireEvent.click(screen.getAllByRole('button', { name: 'Next Page' })[0]!);
    await waitFor(() => expect(order()).toEqual(['105', '104', '103', '102', '101']));
    expect(screen.getAllByText('21-25 of 25').length).toBeGreaterThan(0);
    expect(screen.queryByText('1-20 of 25')).toBeNull();
    expect(screen.getAllByRole('button', { name: 'Next Page' })[0]!.hasAttribute('disabled')).toBe(true);

    fireEvent.click(screen.getAllByRole('button', { name: 'Previous Page' })[0]!);
    await waitFor(() => expect(order()).toHaveLength(20));
    expect(order()[0]).toBe('125');
    expect(screen.getAllByText('1-20 of 25').length).toBeGreaterThan(0);
  });

  it('shows a single page when everything fits', async () => {
    await renderTable(varied);
    expect(order()).toEqual(['5', '4', '3', '2', '1']);
    expect(screen.getAllByText('1-5 of 5').length).toBeGreaterThan(0);
    expect(screen.getAllByRole('button', { name: 'Next Page' })[0]!.hasAttribute('disabled')).toBe(true);
  });

  it('stays on the chosen page across a refresh', async () => {
    const refreshed = many.map((job) => (job.id === '102' ? { ...job, durationSeconds: 7 } : job));
    await renderInTestApp(<RefreshingTable first={many} second={refreshed} />);
    fireEvent.click(screen.getAllByRole('button', { name: 'Next Page' })[0]!);
    await waitFor(() => expect(order()).toEqual(['105', '104', '103', '102', '101']));

    fireEvent.click(screen.getByText('simulate refresh'));
    await waitFor(() => expect(within(screen.getByTestId('job-row-102')).getByText('7s')).toBeTruthy());
    expect(order()).toEqual(['105', '104', '103', '102', '101']);
    expect(screen.getAllByText('21-25 of 25').length).toBeGreaterThan(0);
  });
});

describe('JobsTable filters', () => {
  it('filters Workflow / job by text', async () => {
    await renderTable(varied);
    fireEvent.change(screen.getByLabelText('filter data by Workflow / job'), { target: { value: 'CI / te' } });
    await waitFor(() => expect(order()).toEqual(['2']));
    fireEvent.change(screen.getByLabelText('filter data by Workflow / job'), { target: { value: 'release' } });
    await waitFor(() => expect(order()).toEqual(['4']));
    fireEvent.change(screen.getByLabelText('filter data by Workflow / job'), { target: { value: '' } });
    await waitFor(() => expect(order()).toEqual(['5', '4', '3', '2', '1']));
  });

  it('filters Status by the statuses picked, once the menu closes', async () => {
    await renderTable(varied);
    const filter = await pickInFilter(STATUS, ['failed', 'cancelled']);
    expect(order()).toEqual(['5', '4', '3', '2', '1']);
    await filter.close();
    await waitFor(() => expect(order()).toEqual(['4', '3']));
    expect(screen.getAllByText('1-2 of 2').length).toBeGreaterThan(0);

    // Unpicking both brings every row back.
    const again = await pickInFilter(STATUS, ['failed', 'cancelled']);
    await again.close();
    await waitFor(() => expect(order()).toEqual(['5', '4', '3', '2', '1']));
  });

  it('filters Placement, including jobs without a node yet', async () => {
    await renderTable(varied);
    const regular = await pickInFilter(PLACEMENT, ['regular']);
    await regular.close();
    await waitFor(() => expect(order()).toEqual(['4', '2']));

    const none = await pickInFilter(PLACEMENT, ['regular', 'no node yet']);
    await none.close();
    await waitFor(() => expect(order()).toEqual(['5']));
  });

  it('filters Image cache, and combines with the other filters', async () => {
    await renderTable(varied);
    const hit = await pickInFilter(IMAGE_CACHE, ['hit']);
    await hit.close();
    await waitFor(() => expect(order()).toEqual(['3', '1']));

    const succeeded = await pickInFilter(STATUS, ['succeeded']);
    await succeeded.close();
    await waitFor(() => expect(order()).toEqual(['1']));

    const miss = await pickInFilter(IMAGE_CACHE, ['hit', 'miss']);
    await miss.close();
    await waitFor(() => expect(order()).toEqual(['2']));
  });

  it('shows no rows when nothing matches', async () => {
    await renderTable(varied);
    fireEvent.change(screen.getByLabelText('filter data by Workflow / job'), { target: { value: 'deploy' } });
    await waitFor(() => expect(screen.queryAllByTestId(/^job-row-/)).toHaveLength(0));
    expect(screen.getByText('No records to display')).toBeTruthy();
  });
});

describe('JobsTable sorting', () => {
  it('sorts Workflow / job alphabetically, both ways', async () => {
    await renderTable(varied);
    fireEvent.click(screen.getByText('Workflow / job'));
    expect(order()).toEqual(['1', '3', '2', '5', '4']); // CI / build, CI / e2e, CI / test, Nightly / lint, Release
    fireEvent.click(screen.getByText('Workflow / job'));
    expect(order()).toEqual(['4', '5', '2', '3', '1']);
  });

  it('sorts Duration by the figure, with jobs that have none last either way', async () => {
    await renderTable(varied);
    fireEvent.click(screen.getByText('Duration'));
    expect(order()).toEqual(['4', '2', '1', '3', '5']); // 30 s, 120 s, 181 s, 3700 s, none
    fireEvent.click(screen.getByText('Duration'));
    expect(order()).toEqual(['3', '1', '2', '4', '5']);
  });

  it('sorts Cost by the amount, with jobs that have none last either way', async () => {
    await renderTable(varied);
    fireEvent.click(screen.getByText('Cost'));
    expect(order()).toEqual(['4', '2', '1', '3', '5']); // $0.00002, $0.0021, $0.0035, $1.234, none
    expect(costs()).toEqual(['<$0.0001', '$0.0021', '$0.0035', '$1.23', '—']);
    fireEvent.click(screen.getByText('Cost'));
    expect(order()).toEqual(['3', '1', '2', '4', '5']);
  });

  it('sorts Queued by time; Status by name, keeping the direction when switching columns; a third click unsorts', async () => {
    await renderTable(varied);
    fireEvent.click(screen.getByText('Queued'));
    expect(order()).toEqual(['1', '2', '3', '4', '5']);
    fireEvent.click(screen.getByText('Queued'));
    expect(order()).toEqual(['5', '4', '3', '2', '1']);

    // material-table keeps the direction (here descending) when another column is clicked.
    fireEvent.click(screen.getByText('Status'));
    expect(order()).toEqual(['2', '1', '5', '3', '4']); // succeeded ×2, queued, failed, cancelled
    // The next click on the same column drops the sort: the controller's order again.
    fireEvent.click(screen.getByText('Status'));
    expect(order()).toEqual(['5', '4', '3', '2', '1']);
    fireEvent.click(screen.getByText('Status'));
    expect(order()).toEqual(['4', '3', '5', '2', '1']); // cancelled, failed, queued, succeeded ×2
  });

  it('sorts the rows of every page, not only the current one', async () => {
    await renderTable(many);
    fireEvent.click(screen.getByText('Workflow / job'));
    expect(order()).toEqual(
      many
        .slice(5)
        .map((job) => job.id)
        .reverse(),
    ); // step-01 … step-20
    fireEvent.click(screen.getAllByRole('button', { name: 'Next Page' })[0]!);
    await waitFor(() => expect(order()).toEqual(['121', '122', '123', '124', '125']));
  });
});

describe('JobsTable cost cell', () => {
  it('formats each estimate: <$0.0001, four decimals below a cent, cents above, — without one', async () => {
    await renderTable(varied);
    expect(costs()).toEqual(['—', '<$0.0001', '$1.23', '$0.0021', '$0.0035']);
    expect(within(screen.getByTestId('job-row-3')).getByTestId('job-cost').textContent).toBe('$1.23');
    expect(within(screen.getByTestId('job-row-5')).getByTestId('job-cost').textContent).toBe('—');
  });
});
