import { describe, expect, it } from '@jest/globals';
import { shortRun } from './from-workflow.js';

describe('default step names', () => {
  it('cut long first lines at 60 characters', () => {
    expect(shortRun(`echo ${'x'.repeat(100)}\nsecond`)).toBe(`echo ${'x'.repeat(55)}`);
    expect(shortRun('make test\nmake lint')).toBe('make test');
  });

  it('never cut inside an expression, which would make the name unevaluable', () => {
    const line = 'echo "digest=${{ steps.img.outputs.digest }} hits=${{ steps.img.outputs.cache-hits }}"';
    const name = shortRun(line);
    expect(name).toBe('echo "digest=${{ steps.img.outputs.digest }} hits=${{ steps.img.outputs.cache-hits }}');
    expect(shortRun('echo ${{ unterminated')).toBe('echo ');
  });
});
