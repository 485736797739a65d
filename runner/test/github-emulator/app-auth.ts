/**
 * GitHub App authentication as GitHub checks it, written from GitHub's docs (not from any client library):
 *
 * - "Generating a JSON Web Token (JWT) for a GitHub App"
 *   (https://docs.github.com/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app):
 *   the JWT is signed with RS256 by the App's private key; `iss` is the App's client ID or application ID; `iat` is
 *   when it was issued (GitHub recommends 60 s in the past against clock drift, so a time in the future is refused);
 *   `exp` is no more than 10 minutes into the future. It authenticates only the endpoints that say they need a JWT.
 * - "Generating an installation access token for a GitHub App" and `POST /app/installations/{installation_id}/
 *   access_tokens` (https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app): answers
 *   201 `installation-token` `{token, expires_at, permissions, repository_selection}`; the token expires after one
 *   hour and may ask for a subset of the installation's permissions only (422 otherwise).
 * - Error texts are GitHub's own (clients such as Octokit match them to correct clock skew).
 */
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import type { EmuApp, EmuInstallation, EmuToken, EmulatorState, Permissions } from './state.js';

/** What an App JWT check concluded: the App, or the 401 message GitHub gives. */
export type JwtResult = { ok: true; app: EmuApp } | { ok: false; message: string };

/** GitHub's clock-skew leeway for `iat` in the future is not documented: the emulator allows none. */
const MAX_EXP_AHEAD_SECONDS = 600;

function decodeSegment(s: string): unknown {
  if (!/^[A-Za-z0-9_-]+$/.test(s)) throw new Error('not base64url');
  return JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
}

export function verifyAppJwt(state: EmulatorState, jwt: string, now = Math.floor(Date.now() / 1000)): JwtResult {
  const parts = jwt.split('.');
  if (parts.length !== 3) return { ok: false, message: 'A JSON web token could not be decoded' };
  let header: { alg?: unknown; typ?: unknown };
  let claims: { iat?: unknown; exp?: unknown; iss?: unknown };
  try {
    header = decodeSegment(parts[0]!) as typeof header;
    claims = decodeSegment(parts[1]!) as typeof claims;
  } catch {
    return { ok: false, message: 'A JSON web token could not be decoded' };
  }
  if (header.alg !== 'RS256') return { ok: false, message: 'A JSON web token could not be decoded' };
  const iss = claims.iss;
  const app = [...state.apps.values()].find(
    (a) =>
      (typeof iss === 'number' && iss === a.id) ||
      (typeof iss === 'string' && (iss === String(a.id) || iss === a.clientId)),
  );
  if (!app) return { ok: false, message: 'A JSON web token could not be decoded' };
  const signed = Buffer.from(`${parts[0]}.${parts[1]}`, 'ascii');
  let good = false;
  try {
    good = verify('RSA-SHA256', signed, createPublicKey(app.publicKey), Buffer.from(parts[2]!, 'base64url'));
  } catch {
    good = false;
  }
  if (!good) return { ok: false, message: 'A JSON web token could not be decoded' };
  if (typeof claims.exp !== 'number' || !Number.isInteger(claims.exp) || claims.exp <= now)
    return {
      ok: false,
      message:
        "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
    };
  if (claims.exp > now + MAX_EXP_AHEAD_SECONDS)
    return { ok: false, message: "'Expiration time' claim ('exp') is too far in the future" };
  if (typeof claims.iat !== 'number' || !Number.isInteger(claims.iat) || claims.iat > now || claims.iat >= claims.exp)
    return {
      ok: false,
      message: "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
    };
  return { ok: true, app };
}

/** Rank of an access level, to tell whether a requested permission is within what the installation was granted. */
const LEVEL = { read: 1, write: 2, admin: 3 } as const;

export function withinGrant(asked: Permissions, granted: Permissions): boolean {
  return Object.entries(asked).every(([k, v]) => granted[k] !== undefined && LEVEL[v] <= LEVEL[granted[k]!]);
}

/** A new installation token (`ghs_` + 36 characters, as GitHub's installation tokens look), valid one hour. */
export function mintInstallationToken(
  state: EmulatorState,
  inst: EmuInstallation,
  permissions: Permissions,
  nowMs = Date.now(),
): EmuToken {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const token = `ghs_${[...randomBytes(36)].map((b) => alphabet[b % alphabet.length]).join('')}`;
  const t: EmuToken = { token, installationId: inst.id, expiresAt: nowMs + 3600_000, permissions };
  state.tokens.set(token, t);
  return t;
}

/** `expires_at` as GitHub writes it: ISO 8601 without fractional seconds. */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
