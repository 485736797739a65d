/**
 * Who may use the kubelet API: callers proven by a client certificate signed by the cluster's client CA (the API
 * server's kubelet-client cert), or by a bearer token the API server vouches for (TokenReview). Either way the caller
 * must be allowed the matching `nodes/<subresource>` verb (SubjectAccessReview), as a kubelet in Webhook mode does.
 * With `anonymous` (the kubelet's --anonymous-auth; off here, as in hardened kubelets) a caller with neither is
 * `system:anonymous` in `system:unauthenticated` and goes through the same SubjectAccessReview, so RBAC decides.
 * Decisions are cached briefly so an exec round trip does not pay two API calls.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { Forbidden, Unauthorized } from '@eci-virtual/contract';
import type { KubeClients } from '../../kube/client.js';

export interface Caller {
  user: string;
  groups: string[];
  uid?: string;
}

export interface Authorizer {
  authenticate(req: IncomingMessage): Promise<Caller>;
  authorize(caller: Caller, verb: string, subresource: string): Promise<void>;
}

const CACHE_MS = 60_000;

/** The identity the kubelet gives unauthenticated callers when anonymous auth is on. */
export const ANONYMOUS: Caller = { user: 'system:anonymous', groups: ['system:unauthenticated'] };
/** Denials are cached briefly so a fix in RBAC takes effect quickly (the kubelet does the same: 5 min vs 30 s). */
const DENIED_CACHE_MS = 5_000;

/** Maps a kubelet API path to the `nodes/<subresource>` the kubelet checks. */
export function subresourceFor(path: string): string {
  if (path.startsWith('/stats')) return 'stats';
  if (path.startsWith('/metrics')) return 'metrics';
  if (path.startsWith('/logs')) return 'log';
  return 'proxy';
}

export function verbFor(method: string | undefined): string {
  switch (method) {
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return 'delete';
    default:
      return 'get';
  }
}

export class KubeAuthorizer implements Authorizer {
  private readonly tokens = new Map<string, { caller: Caller; until: number }>();
  private readonly decisions = new Map<string, { allowed: boolean; reason: string; until: number }>();

  constructor(
    private readonly kube: KubeClients,
    private readonly nodeName: string,
    private readonly opts: { anonymous?: boolean } = {},
  ) {}

  async authenticate(req: IncomingMessage): Promise<Caller> {
    const socket = req.socket as TLSSocket;
    if (socket.authorized) {
      const subject = socket.getPeerCertificate().subject as Record<string, string | string[]> | undefined;
      const cn = subject?.CN;
      const o = subject?.O;
      if (typeof cn === 'string') return { user: cn, groups: o === undefined ? [] : Array.isArray(o) ? o : [o] };
    }
    const header = req.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
    if (!token) {
      if (this.opts.anonymous) return ANONYMOUS;
      throw new Unauthorized('no client certificate or bearer token');
    }
    const cached = this.tokens.get(token);
    if (cached && cached.until > Date.now()) return cached.caller;
    const review = await this.kube.authn.createTokenReview({ body: { spec: { token } } });
    if (!review.status?.authenticated || !review.status.user?.username)
      throw new Unauthorized('token rejected by the API server');
    const caller: Caller = {
      user: review.status.user.username,
      groups: review.status.user.groups ?? [],
      ...(review.status.user.uid ? { uid: review.status.user.uid } : {}),
    };
    this.tokens.set(token, { caller, until: Date.now() + CACHE_MS });
    return caller;
  }

  async authorize(caller: Caller, verb: string, subresource: string): Promise<void> {
    const key = `${caller.user}|${caller.groups.join(',')}|${verb}|${subresource}`;
    let decision = this.decisions.get(key);
    if (!decision || decision.until < Date.now()) {
      const review = await this.kube.authz.createSubjectAccessReview({
        body: {
          spec: {
            user: caller.user,
            groups: caller.groups,
            ...(caller.uid ? { uid: caller.uid } : {}),
            resourceAttributes: { verb, resource: 'nodes', subresource, name: this.nodeName },
          },
        },
      });
      const allowed = review.status?.allowed === true;
      decision = {
        allowed,
        reason: review.status?.reason ?? '',
        until: Date.now() + (allowed ? CACHE_MS : DENIED_CACHE_MS),
      };
      this.decisions.set(key, decision);
    }
    if (!decision.allowed) {
      throw new Forbidden(
        `user "${caller.user}" may not ${verb} nodes/${subresource} on ${this.nodeName}${decision.reason ? `: ${decision.reason}` : ''}`,
      );
    }
  }
}
