/**
 * A KubeConfig whose API calls share keep-alive connections.
 *
 * @kubernetes/client-node 1.x makes a new `https.Agent` for every API call (`applySecurityAuthentication` →
 * `createAgent`), so each call opens a new TCP connection and does a full TLS handshake with the client certificate:
 * on a busy controller or node that is most of the CPU a call costs, on both sides. Here the agent a call was given is
 * swapped for one keep-alive agent per distinct set of TLS options (server, CA, client cert and key, verification,
 * server name), so a rotated credential (exec plugins, a reloaded file) gets a pool of its own and calls with the
 * same credentials reuse connections. Proxied clusters keep the library's agents.
 */
import { createHash } from 'node:crypto';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent, type AgentOptions } from 'node:https';
import * as k8s from '@kubernetes/client-node';

type RequestContext = Parameters<k8s.KubeConfig['applySecurityAuthentication']>[0];

/** Distinct credential sets kept at once; the oldest pool is closed beyond this. */
const MAX_POOLS = 4;
/** Idle keep-alive sockets kept per pool. */
const MAX_FREE_SOCKETS = 64;

const TLS_KEYS = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'] as const;

/** A stable key of the options that decide which connections an agent may share. */
export function agentKey(server: string, options: AgentOptions): string {
  const h = createHash('sha256').update(server);
  for (const k of TLS_KEYS) {
    const v = options[k];
    h.update(`\0${k}=`);
    if (v === undefined) continue;
    for (const part of Array.isArray(v) ? v : [v]) {
      const p = part as unknown;
      h.update(Buffer.isBuffer(p) || typeof p === 'string' ? p : JSON.stringify(p));
      h.update('\0');
    }
  }
  return h.digest('hex');
}

export class PooledKubeConfig extends k8s.KubeConfig {
  private readonly pools = new Map<string, HttpAgent>();

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const cluster = this.getCurrentCluster();
    const fresh = context.getAgent();
    if (!cluster || cluster.proxyUrl || !fresh) return;
    const options = (fresh as HttpAgent & { options?: AgentOptions }).options ?? {};
    const key = agentKey(cluster.server, options);
    let pooled = this.pools.get(key);
    if (!pooled) {
      const shared = { ...options, keepAlive: true, maxFreeSockets: MAX_FREE_SOCKETS, scheduling: 'lifo' as const };
      pooled = fresh instanceof HttpsAgent ? new HttpsAgent(shared) : new HttpAgent(shared);
      this.pools.set(key, pooled);
      if (this.pools.size > MAX_POOLS) {
        const [oldestKey, oldest] = this.pools.entries().next().value!;
        this.pools.delete(oldestKey);
        oldest.destroy();
      }
    }
    fresh.destroy();
    context.setAgent(pooled);
  }

  /** Closes the pooled connections (a process that stops using the API). */
  closePools(): void {
    for (const a of this.pools.values()) a.destroy();
    this.pools.clear();
  }
}
