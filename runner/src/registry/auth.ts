/**
 * Registry authentication as the distribution spec and Docker's token protocol define it: a 401 answer carries
 * `WWW-Authenticate` naming a scheme. `Bearer realm=…,service=…,scope=…` — fetch a token from the realm (with Basic
 * credentials when we have some, anonymously otherwise) and repeat the request with `Authorization: Bearer <token>`
 * (https://distribution.github.io/distribution/spec/auth/token/); `Basic` — repeat it with the credentials.
 * Credentials come from a Docker `config.json` (`auths.<registry>.auth` = base64 `user:password`, or
 * `username`/`password`); Docker Hub's key there is `https://index.docker.io/v1/`.
 */
import { readFileSync } from 'node:fs';
import { InvalidInput } from '@eci-virtual/contract';
import { DOCKER_HUB } from './image-ref.js';

export interface Credentials {
  username: string;
  password: string;
}

/** The credentials for a registry as written in image references (`docker.io`, `ghcr.io`, `127.0.0.1:5001`). */
export type CredentialSource = (registry: string) => Credentials | undefined;

export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parses a `WWW-Authenticate` value (RFC 7235): one or more challenges, each a scheme and comma-separated
 * `key=value` / `key="quoted value"` parameters.
 */
export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  // Each token is a bare name (a new challenge's scheme) or a `name=value` parameter of the current challenge.
  const token = /[\s,]*([A-Za-z][\w.!#$%&'*+^`|~-]*)(?:\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*)))?/y;
  for (let m = token.exec(header); m; m = token.exec(header)) {
    const [, name, quoted, bare] = m;
    if (quoted === undefined && bare === undefined) out.push({ scheme: name!.toLowerCase(), params: {} });
    else if (out.length) out[out.length - 1]!.params[name!.toLowerCase()] = quoted?.replace(/\\(.)/g, '$1') ?? bare!;
  }
  return out;
}

export const basicAuth = (c: Credentials): string =>
  `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;

const DOCKER_HUB_KEYS = ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'];

/** Credentials from a Docker `config.json` document (its `auths`); unknown registries get none. */
export function dockerConfigCredentials(config: unknown, where = 'docker config'): CredentialSource {
  const auths = (config as { auths?: unknown } | null)?.auths;
  if (auths !== undefined && (typeof auths !== 'object' || auths === null || Array.isArray(auths)))
    throw new InvalidInput(`${where}: "auths" must be a mapping of registries`);
  const byHost = new Map<string, Credentials>();
  for (const [key, raw] of Object.entries((auths ?? {}) as Record<string, unknown>)) {
    const e = (raw ?? {}) as { auth?: unknown; username?: unknown; password?: unknown };
    let creds: Credentials | undefined;
    if (typeof e.auth === 'string' && e.auth) {
      const text = Buffer.from(e.auth, 'base64').toString('utf8');
      const i = text.indexOf(':');
      if (i > 0) creds = { username: text.slice(0, i), password: text.slice(i + 1) };
    } else if (typeof e.username === 'string' && typeof e.password === 'string')
      creds = { username: e.username, password: e.password };
    if (!creds) continue;
    const host = DOCKER_HUB_KEYS.includes(key) ? DOCKER_HUB : key.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
    byHost.set(host, creds);
  }
  return (registry) => byHost.get(registry);
}

/** Reads a Docker `config.json` file (a mounted Secret); the error names the file, never its content. */
export function readDockerConfig(path: string): CredentialSource {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InvalidInput(`cannot read the registry credentials file ${path}: ${(err as NodeJS.ErrnoException).code}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new InvalidInput(`the registry credentials file ${path} is not JSON`);
  }
  return dockerConfigCredentials(json, path);
}
