import { describe, expect, it } from '@jest/globals';
import { labelValue, repositoryLabel } from './label-value.js';

/** Kubernetes' own rule (apimachinery validation.IsValidLabelValue): empty, or ≤ 63 of [A-Za-z0-9_.-] with
 * alphanumerics at both ends. Written out here independently of the implementation. */
const valid = (v: string) => v === '' || (v.length <= 63 && /^[A-Za-z0-9]([A-Za-z0-9_.-]*[A-Za-z0-9])?$/.test(v));

describe('labelValue', () => {
  it('gives a valid label value for every length from 1 to 300 and every character at position 63', () => {
    const fillers = ['a', '-', '_', '.', '/', ' ', 'é', 'Z', '9'];
    let checked = 0;
    for (let len = 1; len <= 300; len++)
      for (const at63 of ['-', '_', '.', 'x', '/'])
        for (const filler of fillers) {
          const chars = Array.from({ length: len }, (_, i) => (i % 7 === 0 ? 'o' : filler));
          if (len >= 63) chars[62] = at63;
          const text = chars.join('');
          const v = labelValue(text);
          if (!valid(v))
            throw new Error(`labelValue(${JSON.stringify(text)}) = ${JSON.stringify(v)} is not a label value`);
          checked++;
        }
    expect(checked).toBe(300 * 5 * fillers.length);
  });

  it('cuts before it trims, so a 63rd character of -, _ or . never ends the value', () => {
    for (const c of ['-', '_', '.']) {
      const text = `${'a'.repeat(62)}${c}${'b'.repeat(10)}`;
      expect(labelValue(text)).toBe('a'.repeat(62));
    }
  });

  it('keeps what is already valid and replaces the rest with _', () => {
    expect(labelValue('build (1, linux)')).toBe('build__1__linux');
    expect(labelValue('123')).toBe('123');
    expect(labelValue('///')).toBe('');
  });
});

describe('repositoryLabel', () => {
  it('encodes owner/name one way for every writer', () => {
    expect(repositoryLabel('octo/repo')).toBe('octo.repo');
    expect(repositoryLabel('my-org/.github')).toBe('my-org..github');
    const long = `o/${'r'.repeat(99)}`;
    expect(repositoryLabel(long)).toHaveLength(63);
    expect(valid(repositoryLabel(`o/${'-'.repeat(61)}x`))).toBe(true);
  });
});
