import { describe, expect, it } from '@jest/globals';
import { createHash, createHmac } from 'node:crypto';
import { signRequest } from '../../src/virtual-node/backends/eci/signer.js';
import { RequestVerifier } from './auth.js';
import { canonicalRequestOf, expectedSignature, parseAuthorizationHeader, rfc3986 } from './signature-v3.js';

describe('the emulator V3 signature check (written from the published page)', () => {
  it('encodes as RFC 3986 with upper-case hex, keeping only unreserved characters', () => {
    expect(rfc3986('a b*c~d+é/')).toBe('a%20b%2Ac~d%2B%C3%A9%2F');
  });

  it('builds the canonical request: sorted query, lower-cased sorted signed headers, body hash', () => {
    const text = canonicalRequestOf(
      {
        method: 'post',
        path: '/',
        query: [
          ['b', '2 3'],
          ['A', ''],
        ],
        headers: { Host: 'eci.example', 'X-Acs-Action': 'Describe ' },
        body: Buffer.from(''),
      },
      ['x-acs-action', 'host'],
    );
    expect(text).toBe(
      [
        'POST',
        '/',
        'A=&b=2%203',
        'host:eci.example\nx-acs-action:Describe\n',
        'host;x-acs-action',
        createHash('sha256').update('').digest('hex'),
      ].join('\n'),
    );
  });

  it('signs StringToSign = algorithm + hex(SHA-256(canonical request)) with HMAC-SHA256', () => {
    const req = { method: 'POST', path: '/', query: [], headers: { host: 'h' }, body: Buffer.from('x=1') };
    const canonical = canonicalRequestOf(req, ['host']);
    const manual = createHmac('sha256', 'secret')
      .update(`ACS3-HMAC-SHA256\n${createHash('sha256').update(canonical).digest('hex')}`)
      .digest('hex');
    expect(expectedSignature(req, ['host'], 'secret')).toBe(manual);
  });

  describe('against the product signer (two implementations that must agree)', () => {
    const verifier = () => new RequestVerifier({ accessKeys: { AK: 'SK' } });
    const signed = (body = 'RegionId=cn-hangzhou&Name=a%20b') =>
      signRequest(
        {
          method: 'POST',
          host: '127.0.0.1:9',
          path: '/',
          query: {},
          body,
          action: 'DescribeContainerGroups',
          version: '2018-08-08',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        },
        { accessKeyId: 'AK', accessKeySecret: 'SK' },
      );
    const lower = (h: Record<string, string>): Record<string, string> =>
      Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));

    it('accepts what the product signs', () => {
      const headers: Record<string, string> = { ...lower(signed()), host: '127.0.0.1:9' };
      const res = verifier().verify('POST', '/', [], headers, Buffer.from('RegionId=cn-hangzhou&Name=a%20b'));
      expect(res).toEqual({ action: 'DescribeContainerGroups', accessKeyId: 'AK' });
    });

    it('refuses a changed body, a changed header and an x-acs header left out of SignedHeaders', () => {
      const headers: Record<string, string> = { ...lower(signed()), host: '127.0.0.1:9' };
      expect(() => verifier().verify('POST', '/', [], headers, Buffer.from('RegionId=cn-beijing'))).toThrow(
        /x-acs-content-sha256/,
      );
      expect(() =>
        verifier().verify(
          'POST',
          '/',
          [],
          { ...headers, 'content-type': 'text/plain' },
          Buffer.from('RegionId=cn-hangzhou&Name=a%20b'),
        ),
      ).toThrow(/signature we calculated/);
      expect(() =>
        verifier().verify(
          'POST',
          '/',
          [],
          { ...headers, 'x-acs-extra': '1' },
          Buffer.from('RegionId=cn-hangzhou&Name=a%20b'),
        ),
      ).toThrow(/SignedHeaders must include x-acs-extra/);
      const auth = parseAuthorizationHeader(headers.authorization);
      expect(auth?.signedHeaders).toEqual(expect.arrayContaining(['host', 'content-type', 'x-acs-date']));
    });
  });
});
