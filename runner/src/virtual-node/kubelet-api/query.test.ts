import { describe, expect, it } from '@jest/globals';
import { logOptions, streamRequest } from './query.js';

describe('kubelet API query parsing', () => {
  it('parses log options and rejects bad numbers', () => {
    expect(logOptions(new URLSearchParams('follow=true&tailLines=10&timestamps=1&limitBytes=5'))).toEqual({
      follow: true,
      timestamps: true,
      previous: false,
      tailLines: 10,
      limitBytes: 5,
    });
    expect(() => logOptions(new URLSearchParams('tailLines=-1'))).toThrow(/tailLines must be a non-negative integer/);
    expect(() => logOptions(new URLSearchParams('sinceTime=yesterday'))).toThrow(/sinceTime must be RFC 3339/);
  });

  it('parses exec requests with and without the pod uid, repeated commands and tty', () => {
    const q = new URLSearchParams('command=sh&command=-c&command=echo%20hi&input=1&output=1&error=1&tty=1');
    expect(streamRequest(['ns', 'p', 'main'], q)).toEqual({
      namespace: 'ns',
      pod: 'p',
      container: 'main',
      command: ['sh', '-c', 'echo hi'],
      stdin: true,
      stdout: true,
      stderr: false,
      tty: true,
    });
    expect(streamRequest(['ns', 'p', 'uid-1', 'main'], new URLSearchParams('output=1'))).toMatchObject({
      uid: 'uid-1',
      container: 'main',
    });
    expect(() => streamRequest(['ns'], q)).toThrow(/expected/);
  });
});
