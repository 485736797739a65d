import { describe, expect, it } from '@jest/globals';
import { heapFlags } from './heap-tuning.js';

describe('heapFlags', () => {
  it('defaults to 50 %, takes the env override, and can be turned off', () => {
    expect(heapFlags({})).toEqual(['--heap-growing-percent=50']);
    expect(heapFlags({ ECI_VIRTUAL_HEAP_GROWING_PERCENT: '30' })).toEqual(['--heap-growing-percent=30']);
    expect(heapFlags({ ECI_VIRTUAL_HEAP_GROWING_PERCENT: 'off' })).toEqual([]);
    expect(heapFlags({ ECI_VIRTUAL_HEAP_GROWING_PERCENT: '0' })).toEqual([]);
  });

  it('refuses a value V8 would not take', () => {
    expect(() => heapFlags({ ECI_VIRTUAL_HEAP_GROWING_PERCENT: '150' })).toThrow(/1-100/);
    expect(() => heapFlags({ ECI_VIRTUAL_HEAP_GROWING_PERCENT: 'half' })).toThrow(/1-100/);
  });
});
