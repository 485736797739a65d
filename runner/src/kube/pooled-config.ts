/**
 * A KubeConfig whose API calls share keep-alive connections.
 *
 * @kubernetes/client-node 1.x makes a new `https.Agent` for every API call (`applySecurityAuthentication` →
 * `createAgent`), so each call opens a new TCP connection and does a full TLS handshake with the client certificate:
 * on a busy controller or node that is most of the CPU a call costs, on both sides. Here the agent a call was given is
 * swapped for one keep-alive agent per distinct set of TLS options (server, CA, client cert and key, verification,
 * server name), so a rotated credential (exec plugins, a reloaded file) gets a pool of its own and calls with the
 * same credentials reuse connections. Proxied clusters keep the library's agents.
 *
 * A pool keeps up to MAX_FREE_SOCKETS idle connections. It kept 64 before: every burst beyond that (a node starting a
 * thousand pods while the API server is slow and calls pile up) closed its extra connections as they went idle and
 * opened them again on the next burst, a TLS handshake with the client certificate per call on both sides, just when
 * the API server had the least CPU to spare. The number of open connections is not capped: calls queued in the agent
 * for a free connection trip node-fetch 2's "Premature close" check on chunked answers (the next call takes the
 * socket before the previous answer's close event), so a burst opens what it needs and keeps it.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent, type AgentOptions } from 'node:https';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import * as k8s from '@kubernetes/client-node';

type RequestContext = Parameters<k8s.KubeConfig['applySecurityAuthentication']>[0];

/** Distinct credential sets kept at once; the oldest pool is closed beyond this. */
const MAX_POOLS = 4;
/** Idle connections kept per pool (see above). */
export const MAX_FREE_SOCKETS = 256;

/** The agent options that decide whom a connection talks to and trusts (besides what makes its TLS context). */
const TLS_KEYS = ['rejectUnauthorized', 'servername'] as const;

/** The agent options that make up a TLS context (what the library may set of `tls.SecureContextOptions`). */
const CONTEXT_KEYS = [
  'ca',
  'cert',
  'key',
  'pfx',
  'passphrase',
  'ciphers',
  'honorCipherOrder',
  'ecdhCurve',
  'clientCertEngine',
  'crl',
  'dhparam',
  'secureOptions',
  'secureProtocol',
  'sessionIdContext',
] as const;

/** Every option two calls must agree on to share a pool's connections and its one TLS context. */
const IDENTITY_KEYS = [...TLS_KEYS, ...CONTEXT_KEYS] as const;

/**
 * `options` with one TLS context made of their CA, certificate and key, for every connection of a pool: without it
 * `tls.connect` parses them again for each new connection — in the fleet profile that was ~4 % of the leading
 * controller's CPU in the first seconds of a burst while it opened its connections (plus ~3 % of TLS socket set-up),
 * and 3 % of the node's.
 */
export function withSharedSecureContext(options: AgentOptions): AgentOptions {
  const parts: SecureContextOptions = {};
  for (const k of CONTEXT_KEYS) if (options[k] !== undefined) Object.assign(parts, { [k]: options[k] });
  return { ...options, secureContext: createSecureContext(parts) };
}

/** The server and TLS options that decide which connections an agent may share. */
export interface AgentIdentity {
  server: string;
  options: AgentOptions;
}

const sameValue = (a: unknown, b: unknown): boolean => {
  if (a === b) return true;
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
  return false;
};

/**
 * Whether two calls may share connections: same server and same TLS options — every option the pool's shared TLS
 * context is made of (CONTEXT_KEYS), so a pool never carries a context built from other options. Compared by
 * content (the library builds fresh Buffers of the CA, certificate and key for every call), which costs a memory
 * compare where hashing them per call took ~1 % of a busy node's CPU.
 */
export function sameAgentIdentity(a: AgentIdentity, b: AgentIdentity): boolean {
  return a.server === b.server && IDENTITY_KEYS.every((k) => sameValue(a.options[k], b.options[k]));
}

export class PooledKubeConfig extends k8s.KubeConfig {
  /** Newest last; at most MAX_POOLS. */
  private readonly pools: { identity: AgentIdentity; agent: HttpAgent }[] = [];

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const cluster = this.getCurrentCluster();
    const fresh = context.getAgent();
    if (!cluster || cluster.proxyUrl || !fresh) return;
    const identity = {
      server: cluster.server,
      options: (fresh as HttpAgent & { options?: AgentOptions }).options ?? {},
    };
    let pooled = this.pools.find((p) => sameAgentIdentity(p.identity, identity))?.agent;
    if (!pooled) {
      const shared = {
        ...identity.options,
        keepAlive: true,
        maxFreeSockets: MAX_FREE_SOCKETS,
        scheduling: 'lifo' as const,
      };
      pooled = fresh instanceof HttpsAgent ? new HttpsAgent(withSharedSecureContext(shared)) : new HttpAgent(shared);
      this.pools.push({ identity, agent: pooled });
      if (this.pools.length > MAX_POOLS) this.pools.shift()!.agent.destroy();
    }
    fresh.destroy();
    context.setAgent(pooled);
  }

  /** Closes the pooled connections (a process that stops using the API). */
  closePools(): void {
    for (const p of this.pools) p.agent.destroy();
    this.pools.length = 0;
  }
}
