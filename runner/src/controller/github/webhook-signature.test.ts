import { describe, expect, it } from '@jest/globals';
import { signWebhookBody, verifyWebhookSignature } from './webhook-signature.js';

describe('webhook signatures', () => {
  // GitHub's documented example: secret "It's a Secret to Everybody", payload "Hello, World!".
  it('matches the example in GitHub docs', () => {
    expect(signWebhookBody("It's a Secret to Everybody", 'Hello, World!')).toBe(
      'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
    );
  });

  it('accepts only the exact signature', () => {
    const body = Buffer.from('{"a":1}');
    const good = signWebhookBody('s3cret', body);
    expect(verifyWebhookSignature('s3cret', body, good)).toBe(true);
    expect(verifyWebhookSignature('other', body, good)).toBe(false);
    expect(verifyWebhookSignature('s3cret', Buffer.from('{"a":2}'), good)).toBe(false);
    expect(verifyWebhookSignature('s3cret', body, undefined)).toBe(false);
    expect(verifyWebhookSignature('s3cret', body, good.toUpperCase())).toBe(false);
    expect(verifyWebhookSignature('s3cret', body, good.replace('sha256=', 'sha1='))).toBe(false);
    expect(verifyWebhookSignature('', body, signWebhookBody('', body))).toBe(false);
  });
});
