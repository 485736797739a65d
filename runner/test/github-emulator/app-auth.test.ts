/**
 * The emulator's App JWT and installation-token rules, each from GitHub's docs "Generating a JSON Web Token (JWT)
 * for a GitHub App" and "Authenticating as a GitHub App installation" (see app-auth.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createAppKeyPair, signJwt } from './app-key.js';
import { GitHubEmulator } from './server.js';

const APP_ID = 31337;
const keys = createAppKeyPair();
const other = createAppKeyPair();

describe('GitHub App authentication in the emulator', () => {
  const emulator = new GitHubEmulator({ webhookSecret: 's', runnerHost: '127.0.0.1', host: '127.0.0.1' });
  beforeAll(async () => {
    await emulator.start();
    emulator.registerApp({
      appId: APP_ID,
      clientId: 'Iv23liTestClient',
      publicKey: keys.publicKey,
      installation: { id: 55, account: 'acme', permissions: { actions: 'read', metadata: 'read' } },
    });
  });
  afterAll(() => emulator.stop());

  const now = () => Math.floor(Date.now() / 1000);
  const tokenWith = async (jwt: string, body?: unknown) => {
    const res = await fetch(`${emulator.url}/app/installations/55/access_tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${jwt}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('issues an installation token for a well-formed JWT (iss = app id or client id)', async () => {
    const ok = await tokenWith(signJwt(keys.privateKey, { iat: now() - 60, exp: now() + 540, iss: APP_ID }));
    expect(ok.status).toBe(201);
    expect(ok.body).toMatchObject({
      permissions: { actions: 'read', metadata: 'read' },
      repository_selection: 'all',
    });
    expect(ok.body.token).toMatch(/^ghs_[A-Za-z0-9]{36}$/);
    const expires = Date.parse(String(ok.body.expires_at));
    expect(expires - Date.now()).toBeGreaterThan(3500_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(3600_000);
    const byClient = await tokenWith(
      signJwt(keys.privateKey, { iat: now() - 60, exp: now() + 540, iss: 'Iv23liTestClient' }),
    );
    expect(byClient.status).toBe(201);
    // The token then authenticates REST calls of the installation's account, and nothing else.
    const runs = await fetch(`${emulator.url}/repos/acme/app/actions/runs`, {
      headers: { authorization: `token ${String(ok.body.token)}` },
    });
    expect(runs.status).toBe(200);
    const elsewhere = await fetch(`${emulator.url}/repos/other/app/actions/runs`, {
      headers: { authorization: `token ${String(ok.body.token)}` },
    });
    expect(elsewhere.status).toBe(404);
    const jwtOnRest = await fetch(`${emulator.url}/repos/acme/app/actions/runs`, {
      headers: {
        authorization: `Bearer ${signJwt(keys.privateKey, { iat: now() - 60, exp: now() + 540, iss: APP_ID })}`,
      },
    });
    expect(jwtOnRest.status).toBe(401);
  });

  it.each([
    [
      'exp more than 10 minutes ahead',
      { iat: now() - 30, exp: now() + 601, iss: APP_ID },
      /'exp'\) is too far in the future/,
    ],
    ['an expired JWT', { iat: now() - 700, exp: now() - 1, iss: APP_ID }, /'exp'\) must be a numeric value/],
    ['iat in the future', { iat: now() + 120, exp: now() + 500, iss: APP_ID }, /'iat'\) must be an Integer/],
    ['a non-integer iat', { iat: String(now()), exp: now() + 500, iss: APP_ID }, /'iat'\)/],
    ['an unknown issuer', { iat: now() - 30, exp: now() + 500, iss: 1 }, /could not be decoded/],
  ])('refuses %s with 401 and GitHub’s message', async (_what, claims, message) => {
    const r = await tokenWith(signJwt(keys.privateKey, claims));
    expect(r.status).toBe(401);
    expect(String(r.body.message)).toMatch(message);
  });

  it('refuses a JWT signed by another key, with another algorithm, or an installation token in its place', async () => {
    const claims = { iat: now() - 30, exp: now() + 500, iss: APP_ID };
    expect((await tokenWith(signJwt(other.privateKey, claims))).status).toBe(401);
    expect((await tokenWith(signJwt(keys.privateKey, claims, { alg: 'none', typ: 'JWT' }))).status).toBe(401);
    expect((await tokenWith(signJwt(keys.privateKey, claims, { alg: 'HS256', typ: 'JWT' }))).status).toBe(401);
    const token = (await tokenWith(signJwt(keys.privateKey, claims))).body.token as string;
    expect((await tokenWith(token)).status).toBe(401);
  });

  it('grants a subset of the installation’s permissions only', async () => {
    const claims = { iat: now() - 30, exp: now() + 500, iss: APP_ID };
    expect((await tokenWith(signJwt(keys.privateKey, claims), { permissions: { actions: 'read' } })).status).toBe(201);
    expect((await tokenWith(signJwt(keys.privateKey, claims), { permissions: { actions: 'write' } })).status).toBe(422);
  });

  it('stops accepting an installation token once it expires', async () => {
    const t = (await tokenWith(signJwt(keys.privateKey, { iat: now() - 30, exp: now() + 500, iss: APP_ID }))).body
      .token as string;
    emulator.state.tokens.get(t)!.expiresAt = Date.now() - 1;
    const res = await fetch(`${emulator.url}/repos/acme/app/actions/runs`, {
      headers: { authorization: `token ${t}` },
    });
    expect([res.status, ((await res.json()) as { message: string }).message]).toEqual([401, 'Bad credentials']);
  });
});
