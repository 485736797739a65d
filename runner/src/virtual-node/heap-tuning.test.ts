import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { parse } from 'yaml';
import { heapFlags, NODE_PROCESS_OPTIONS } from './heap-tuning.js';

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

describe('the node process options', () => {
  it("are the chart's default, so tests and benchmarks start the node as the chart does", () => {
    const values = parse(readFileSync(new URL('../../../helm/eci-virtual/values.yaml', import.meta.url), 'utf8')) as {
      nodeDeployment: { nodeOptions: string };
    };
    expect(values.nodeDeployment.nodeOptions).toBe(NODE_PROCESS_OPTIONS);
  });
});
