import { describe, expect, it } from '@jest/globals';
import { render, screen } from '@testing-library/react';
import { QueueBar } from './QueueBar.js';

describe('QueueBar', () => {
  it('draws one segment per phase that took time, in order, sized by its share', () => {
    render(
      <QueueBar
        jobId="7"
        breakdown={{
          phases: [
            { phase: 'webhook', ms: 400 },
            { phase: 'launch', ms: 600 },
            { phase: 'schedule', ms: 0 },
            { phase: 'images', ms: 4000 },
            { phase: 'setup', ms: 1000 },
          ],
          totalMs: 6000,
          complete: true,
        }}
      />,
    );
    const bar = screen.getByTestId('queue-bar-7');
    expect(bar.getAttribute('aria-label')).toBe(
      'queue breakdown: webhook 400 ms · launch 600 ms · schedule 0 ms · images 4.00 s · setup 1.00 s',
    );
    const segments = [...bar.children] as HTMLElement[];
    expect(segments.map((s) => s.getAttribute('data-testid'))).toEqual([
      'queue-phase-webhook',
      'queue-phase-launch',
      'queue-phase-images',
      'queue-phase-setup',
    ]);
    expect(segments.map((s) => s.style.flexGrow)).toEqual(['400', '600', '4000', '1000']);
  });

  it('says when the breakdown is not final, and draws nothing without one', () => {
    const { container, rerender } = render(
      <QueueBar jobId="8" breakdown={{ phases: [{ phase: 'launch', ms: 900 }], totalMs: 900, complete: false }} />,
    );
    expect(screen.getByTestId('queue-bar-8').getAttribute('aria-label')).toBe(
      'queue breakdown: launch 900 ms (so far)',
    );
    rerender(<QueueBar jobId="8" />);
    expect(container.innerHTML).toBe('');
  });
});
