import { describe, expect, it } from '@jest/globals';
import { createHash, createHmac } from 'node:crypto';
import openapiUtil from '@alicloud/openapi-util';
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

  it('reproduces the worked example of the published page (RunInstances, fixed date, nonce and secret)', () => {
    // "Request syntax and signature method V3", fixed-parameters walk-through
    // (help.aliyun.com/zh/sdk/product-overview/v3-request-structure-and-signature).
    const headers = {
      host: 'ecs.cn-shanghai.aliyuncs.com',
      'x-acs-action': 'RunInstances',
      'x-acs-version': '2014-05-26',
      'x-acs-date': '2023-10-26T10:22:32Z',
      'x-acs-signature-nonce': '3156853299f313e23d1673dc12e1703d',
      'x-acs-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    };
    const req = {
      method: 'POST',
      path: '/',
      query: [
        ['ImageId', 'win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd'],
        ['RegionId', 'cn-shanghai'],
      ] as [string, string][],
      headers,
      body: Buffer.from(''),
    };
    expect(expectedSignature(req, Object.keys(headers).sort(), 'YourAccessKeySecret')).toBe(
      '06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0',
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

  describe("against the SDK's signer (@alicloud/openapi-util getAuthorization: two implementations that must agree)", () => {
    const verifier = () => new RequestVerifier({ accessKeys: { AK: 'SK' } });
    const QUERY: [string, string][] = [
      ['RegionId', 'cn-hangzhou'],
      ['Name', 'a b*~'],
    ];
    /** Headers as openapi-client's doRequest sets them for an RPC call with every parameter in the query. */
    const signed = () => {
      const headers: Record<string, string> = {
        host: '127.0.0.1:9',
        'x-acs-version': '2018-08-08',
        'x-acs-action': 'DescribeContainerGroups',
        'x-acs-date': new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        'x-acs-signature-nonce': `n-${Math.random()}`,
        accept: 'application/json',
        'x-acs-content-sha256': createHash('sha256').update('').digest('hex'),
      };
      const request = { method: 'POST', pathname: '/', query: Object.fromEntries(QUERY), headers };
      headers.Authorization = openapiUtil.default.getAuthorization(
        request as unknown as Parameters<typeof openapiUtil.default.getAuthorization>[0],
        'ACS3-HMAC-SHA256',
        headers['x-acs-content-sha256']!,
        'AK',
        'SK',
      );
      return headers;
    };
    const lower = (h: Record<string, string>): Record<string, string> =>
      Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));

    it('accepts what the SDK signs', () => {
      const headers: Record<string, string> = lower(signed());
      const res = verifier().verify('POST', '/', QUERY, headers, Buffer.from(''));
      expect(res).toEqual({ action: 'DescribeContainerGroups', accessKeyId: 'AK' });
    });

    it('refuses a changed body, query or header and an x-acs header left out of SignedHeaders', () => {
      const headers: Record<string, string> = lower(signed());
      expect(() => verifier().verify('POST', '/', QUERY, headers, Buffer.from('RegionId=cn-beijing'))).toThrow(
        /x-acs-content-sha256/,
      );
      expect(() => verifier().verify('POST', '/', [['RegionId', 'cn-beijing']], headers, Buffer.from(''))).toThrow(
        /signature we calculated/,
      );
      expect(() =>
        verifier().verify('POST', '/', QUERY, { ...headers, 'x-acs-action': 'DeleteContainerGroup' }, Buffer.from('')),
      ).toThrow(/signature we calculated/);
      expect(() => verifier().verify('POST', '/', QUERY, { ...headers, 'x-acs-extra': '1' }, Buffer.from(''))).toThrow(
        /SignedHeaders must include x-acs-extra/,
      );
      const auth = parseAuthorizationHeader(headers.authorization);
      expect(auth?.signedHeaders).toEqual(expect.arrayContaining(['host', 'x-acs-action', 'x-acs-date']));
    });
  });
});
