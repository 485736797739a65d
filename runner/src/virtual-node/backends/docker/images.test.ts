import { describe, expect, it } from '@jest/globals';
import { parseImage } from './images.js';

describe('parseImage', () => {
  it('splits registry, repository, tag and digest', () => {
    expect(parseImage('busybox')).toEqual({ fromImage: 'busybox', tag: 'latest', registry: 'docker.io' });
    expect(parseImage('127.0.0.1:5001/eci-virtual/busybox:1.36')).toEqual({
      fromImage: '127.0.0.1:5001/eci-virtual/busybox',
      tag: '1.36',
      registry: '127.0.0.1:5001',
    });
    expect(parseImage('localhost:5000/a@sha256:abc')).toMatchObject({
      fromImage: 'localhost:5000/a',
      tag: 'sha256:abc',
    });
    expect(parseImage('library/debian:bookworm').registry).toBe('docker.io');
  });
});
