/**
 * Sends signed webhooks the way GitHub does and keeps a log. Headers per "Webhook events and payloads — Delivery
 * headers" (https://docs.github.com/webhooks/webhook-events-and-payloads#delivery-headers) and the header
 * parameters GitHub's webhook description marks required (`@octokit/openapi-webhooks`: User-Agent `GitHub-Hookshot/…`,
 * X-GitHub-Hook-ID, X-GitHub-Event, X-GitHub-Hook-Installation-Target-ID and -Type, X-GitHub-Delivery,
 * X-Hub-Signature-256). A GitHub App's webhook names the App as its target (type `integration`, id = App id); a
 * repository webhook names the repository.
 *
 * Content types per "Creating webhooks" (https://docs.github.com/webhooks/using-webhooks/creating-webhooks):
 * `application/json` delivers the payload as the body; `application/x-www-form-urlencoded` delivers it as the
 * `payload` form field. Either way the signatures are HMACs of the raw body that is sent
 * ("Validating webhook deliveries", https://docs.github.com/webhooks/using-webhooks/validating-webhook-deliveries).
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';

export type WebhookContentType = 'json' | 'form';

export interface Delivery {
  id: string;
  event: string;
  action: string;
  /** The JSON payload (for a form delivery, the value of its `payload` field). */
  body: string;
  /** Exactly what was POSTed. */
  rawBody: string;
  headers: Record<string, string>;
  status?: number;
  error?: string;
}

export interface HookTarget {
  type: 'integration' | 'repository' | 'organization';
  id: number;
}

const HOOKSHOT = `GitHub-Hookshot/${randomBytes(4).toString('hex').slice(0, 7)}`;

export class WebhookSender {
  readonly deliveries: Delivery[] = [];
  /** The hook's content type (`content_type` of the hook's config). */
  contentType: WebhookContentType = 'json';
  readonly hookId = 400_000_000 + Math.floor(Math.random() * 99_999_999);
  /**
   * Loses deliveries (GitHub does not guarantee delivery): when it answers true for a delivery, that delivery is
   * logged with `error: 'dropped'` and never POSTed. Unset, every delivery is sent.
   */
  drop: ((d: Delivery) => boolean) | undefined;

  constructor(
    private readonly target: () => string | undefined,
    private readonly secret: string,
  ) {}

  async send(
    event: string,
    payload: Record<string, unknown>,
    opts: { id?: string; forgeSignature?: boolean; hookTarget?: HookTarget; contentType?: WebhookContentType } = {},
  ): Promise<Delivery> {
    const body = JSON.stringify(payload);
    const contentType = opts.contentType ?? this.contentType;
    const rawBody = contentType === 'form' ? new URLSearchParams({ payload: body }).toString() : body;
    const id = opts.id ?? randomUUID();
    const signWith = opts.forgeSignature ? 'not-the-secret' : this.secret;
    const headers: Record<string, string> = {
      'content-type': contentType === 'form' ? 'application/x-www-form-urlencoded' : 'application/json',
      'user-agent': HOOKSHOT,
      'x-github-event': event,
      'x-github-delivery': id,
      'x-github-hook-id': String(this.hookId),
      ...(opts.hookTarget
        ? {
            'x-github-hook-installation-target-type': opts.hookTarget.type,
            'x-github-hook-installation-target-id': String(opts.hookTarget.id),
          }
        : {}),
      'x-hub-signature': `sha1=${createHmac('sha1', signWith).update(rawBody).digest('hex')}`,
      'x-hub-signature-256': `sha256=${createHmac('sha256', signWith).update(rawBody).digest('hex')}`,
    };
    const d: Delivery = { id, event, action: String(payload.action ?? ''), body, rawBody, headers };
    this.deliveries.push(d);
    await this.post(d);
    return d;
  }

  /** Redelivers a past delivery with the same `X-GitHub-Delivery` (GitHub's "Redeliver" button). */
  async redeliver(id: string): Promise<Delivery> {
    const past = this.deliveries.find((d) => d.id === id);
    if (!past) throw new Error(`no delivery ${id}`);
    const { status: _status, error: _error, ...again } = past;
    const d: Delivery = again;
    this.deliveries.push(d);
    await this.post(d);
    return d;
  }

  private async post(d: Delivery): Promise<void> {
    const url = this.target();
    if (!url) return;
    if (this.drop?.(d)) {
      d.error = 'dropped';
      return;
    }
    try {
      const res = await fetch(url, { method: 'POST', headers: d.headers, body: d.rawBody });
      d.status = res.status;
      await res.text();
    } catch (err) {
      d.error = (err as Error).message;
    }
  }
}
