import { describe, expect, it } from '@jest/globals';
import { createLogger } from './logger.js';

describe('createLogger', () => {
  it('writes one JSON object per line with the child context', () => {
    const lines: string[] = [];
    const log = createLogger({ component: 'node' }, { write: (l) => lines.push(l) }).child({ pod: 'ns/p' });
    log.info('pod created', { phase: 'Pending' });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'info', msg: 'pod created', component: 'node', pod: 'ns/p' });
  });

  it('redacts credential-looking fields and drops levels below the minimum', () => {
    const lines: string[] = [];
    const log = createLogger({}, { level: 'info', write: (l) => lines.push(l) });
    log.debug('hidden');
    log.warn('jit', { jitConfig: 'c2VjcmV0', bearerToken: 'abc', count: 2 });
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!);
    expect(entry.jitConfig).toBe('[redacted]');
    expect(entry.bearerToken).toBe('[redacted]');
    expect(entry.count).toBe(2);
  });
});
