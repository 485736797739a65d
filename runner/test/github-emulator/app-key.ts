/**
 * Test-side GitHub App credentials: an RSA key pair as GitHub issues it (the private key GitHub lets you download is
 * PKCS#1 PEM, "BEGIN RSA PRIVATE KEY") and a hand-made RS256 JWT, for tests that check the emulator's JWT rules
 * directly. The product signs its own JWTs through @octokit/auth-app; nothing here is shared with it.
 */
import { generateKeyPairSync, sign } from 'node:crypto';

export interface AppKeyPair {
  privateKey: string;
  publicKey: string;
}

export function createAppKeyPair(): AppKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return { privateKey, publicKey };
}

/** `header.claims.signature`, RS256 unless `alg` says otherwise (then the signature is garbage, as it must be). */
export function signJwt(
  privateKey: string,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = { alg: 'RS256', typ: 'JWT' },
): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${enc(header)}.${enc(claims)}`;
  const sig = header.alg === 'RS256' ? sign('RSA-SHA256', Buffer.from(input), privateKey) : Buffer.from('x');
  return `${input}.${sig.toString('base64url')}`;
}
