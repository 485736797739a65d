import { describe, expect, it } from '@jest/globals';
import { histogramWithin } from './fleet-run.js';

describe('histogramWithin', () => {
  const text = [
    '# HELP eci_virtual_controller_webhook_to_pod_seconds From receiving a queued job to its pod being created',
    '# TYPE eci_virtual_controller_webhook_to_pod_seconds histogram',
    'eci_virtual_controller_webhook_to_pod_seconds_bucket{le="0.05"} 700',
    'eci_virtual_controller_webhook_to_pod_seconds_bucket{le="0.1"} 990',
    'eci_virtual_controller_webhook_to_pod_seconds_bucket{le="0.25"} 999',
    'eci_virtual_controller_webhook_to_pod_seconds_bucket{le="+Inf"} 1000',
    'eci_virtual_controller_webhook_to_pod_seconds_sum 41.5',
    'eci_virtual_controller_webhook_to_pod_seconds_count 1000',
  ].join('\n');

  it('reads the cumulative bucket and the count', () => {
    expect(histogramWithin(text, 'eci_virtual_controller_webhook_to_pod_seconds', '0.1')).toEqual({
      within: 990,
      of: 1000,
    });
    // "0.1" is not "0x1" nor a prefix of another bucket.
    expect(
      histogramWithin(text.replace('le="0.1"', 'le="0x1"'), 'eci_virtual_controller_webhook_to_pod_seconds', '0.1'),
    ).toEqual({ within: 0, of: 1000 });
  });

  it('is 0 of 0 without the histogram', () => {
    expect(histogramWithin('', 'eci_virtual_controller_webhook_to_pod_seconds', '0.1')).toEqual({ within: 0, of: 0 });
  });
});
