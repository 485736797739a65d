/** Sends signed `workflow_job` webhooks the way GitHub does (headers per GitHub's webhook docs) and keeps a log. */
import { createHmac, randomUUID } from 'node:crypto';

export interface Delivery {
  id: string;
  event: string;
  action: string;
  body: string;
  status?: number;
  error?: string;
}

export class WebhookSender {
  readonly deliveries: Delivery[] = [];

  constructor(
    private readonly target: () => string | undefined,
    private readonly secret: string,
  ) {}

  async send(
    event: string,
    payload: Record<string, unknown>,
    opts: { id?: string; forgeSignature?: boolean } = {},
  ): Promise<Delivery> {
    const body = JSON.stringify(payload);
    const d: Delivery = { id: opts.id ?? randomUUID(), event, action: String(payload.action ?? ''), body };
    this.deliveries.push(d);
    await this.post(d, opts.forgeSignature ?? false);
    return d;
  }

  /** Redelivers a past delivery with the same `X-GitHub-Delivery` (GitHub's "Redeliver" button). */
  async redeliver(id: string): Promise<Delivery> {
    const past = this.deliveries.find((d) => d.id === id);
    if (!past) throw new Error(`no delivery ${id}`);
    const again: Delivery = { ...past };
    this.deliveries.push(again);
    await this.post(again, false);
    return again;
  }

  private async post(d: Delivery, forge: boolean): Promise<void> {
    const url = this.target();
    if (!url) return;
    const signature = `sha256=${createHmac('sha256', forge ? 'not-the-secret' : this.secret)
      .update(d.body)
      .digest('hex')}`;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'GitHub-Hookshot/eci-emulator',
          'x-github-event': d.event,
          'x-github-delivery': d.id,
          'x-github-hook-id': '1',
          'x-hub-signature-256': signature,
          'x-hub-signature': `sha1=${createHmac('sha1', this.secret).update(d.body).digest('hex')}`,
        },
        body: d.body,
      });
      d.status = res.status;
      await res.text();
    } catch (err) {
      d.error = (err as Error).message;
    }
  }
}
