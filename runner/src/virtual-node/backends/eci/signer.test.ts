import { describe, expect, it } from '@jest/globals';
import { parseAuthorization, percentEncode, sha256Hex, signature, signRequest } from './signer.js';

// The worked example of "Request syntax and signature method V3" (Alibaba Cloud SDK docs): RunInstances on
// ecs.cn-shanghai, empty body, the documented fixed date/nonce/query, AccessKey secret "YourAccessKeySecret"
// (the "fixed parameters" walk-through of help.aliyun.com/zh/sdk/product-overview/v3-request-structure-and-signature).
const DOC = {
  method: 'POST',
  host: 'ecs.cn-shanghai.aliyuncs.com',
  path: '/',
  query: { ImageId: 'win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd', RegionId: 'cn-shanghai' },
  headers: {
    'x-acs-action': 'RunInstances',
    'x-acs-version': '2014-05-26',
    'x-acs-date': '2023-10-26T10:22:32Z',
    'x-acs-signature-nonce': '3156853299f313e23d1673dc12e1703d',
    'x-acs-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  },
  body: '',
};

describe('ACS3-HMAC-SHA256', () => {
  it('reproduces the signature of the documented example', () => {
    const s = signature(DOC, 'YourAccessKeySecret');
    expect(s.signedHeaders).toBe(
      'host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version',
    );
    expect(s.signature).toBe('06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0');
  });

  it('signs a request end to end and the header parses back', () => {
    const headers = signRequest(
      {
        method: 'POST',
        host: DOC.host,
        path: '/',
        query: DOC.query,
        body: '',
        action: 'RunInstances',
        version: '2014-05-26',
      },
      { accessKeyId: 'YourAccessKeyId', accessKeySecret: 'YourAccessKeySecret' },
      { now: new Date('2023-10-26T10:22:32.000Z'), nonce: '3156853299f313e23d1673dc12e1703d' },
    );
    expect(headers.Authorization).toBe(
      'ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0',
    );
    expect(parseAuthorization(headers.Authorization)?.accessKeyId).toBe('YourAccessKeyId');
    expect(parseAuthorization('Bearer x')).toBeUndefined();
  });

  it('signs an STS token and percent-encodes per RFC 3986', () => {
    const h = signRequest(
      {
        method: 'GET',
        host: 'eci.cn-hangzhou.aliyuncs.com',
        path: '/',
        query: {},
        body: '',
        action: 'DescribeContainerGroups',
        version: '2018-08-08',
      },
      { accessKeyId: 'a', accessKeySecret: 's', securityToken: 'tok' },
    );
    expect(h.Authorization).toContain('x-acs-security-token');
    expect(percentEncode("a b*c~d'")).toBe('a%20b%2Ac~d%27');
    expect(sha256Hex('')).toBe(DOC.headers['x-acs-content-sha256']);
  });
});
