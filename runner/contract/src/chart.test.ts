/**
 * The Helm chart cannot import the contract (it is YAML), so this test holds it to the contract's keys: where the
 * chart names an eci-virtual key or value, it must be the one the code uses.
 */
import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ANNOTATION, COMPONENT, ECI_TAG, ENGINE_LABEL, KEY_PREFIX, LABEL } from './index.js';

const templates = fileURLToPath(new URL('../../../helm/eci-virtual/templates/', import.meta.url));
const chart = readdirSync(templates)
  .map((f) => readFileSync(join(templates, f), 'utf8'))
  .join('\n');

describe('the Helm chart and the contract', () => {
  it('uses only keys the contract defines, or the chart-local node selector', () => {
    const known = new Set<string>([
      ...Object.values(LABEL),
      ...Object.values(ANNOTATION),
      ...Object.values(ENGINE_LABEL),
      ...Object.values(ECI_TAG),
    ]);
    const used = [...chart.matchAll(new RegExp(`${KEY_PREFIX.replace('.', '\\.')}[a-z-]+`, 'g'))].map((m) => m[0]);
    expect(used.length).toBeGreaterThan(0);
    expect(used.filter((k) => !known.has(k))).toEqual([]);
  });

  it('selects the controller job pods with the contract label and value', () => {
    expect(chart).toContain(`-l ${LABEL.component}=${COMPONENT.runnerJob}`);
  });
});
