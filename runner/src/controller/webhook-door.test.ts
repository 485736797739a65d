/**
 * Bad input at the webhook door (issue #19, runner/docs/bad-input.md), through the controller's real HTTP listener
 * and webhook handler: malformed, truncated, oversized, replayed, unsigned and oddly typed deliveries each get a
 * clear 4xx (never a 500 or a dropped connection), none reaches the intake, and the listener keeps serving.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { seeded, mutate } from '../../test/fuzz/seeded.js';
import { createLogger } from '../observability/logger.js';
import { signWebhookBody } from './github/webhook-signature.js';
import { startHttpServer } from './http-server.js';
import type { AcceptedDelivery } from './intake/delivery-inbox.js';
import { WebhookHandler } from './intake/webhook-handler.js';
import { createControllerMetrics } from './metrics.js';
import type { PortalApi } from './portal-api/routes.js';

const SECRET = 'door-secret';
const accepted: AcceptedDelivery[] = [];
const kept = new Set<string>();
let server: Server;
let port: number;

beforeAll(async () => {
  const log = createLogger({ component: 'test' }, { level: 'error', write: () => undefined });
  const metrics = createControllerMetrics();
  const intake = {
    accept: async (d: AcceptedDelivery) => {
      if (kept.has(d.id)) return 'duplicate' as const;
      kept.add(d.id);
      accepted.push(d);
      return 'accepted' as const;
    },
  };
  server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    webhook: new WebhookHandler(SECRET, intake, log, metrics),
    portal: { handle: async () => ({ status: 404, body: {} }) } as unknown as PortalApi,
    metrics,
    ready: () => true,
    log,
  });
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));

const job = (id: number) => ({
  action: 'queued',
  workflow_job: { id, run_id: 6, name: 'j', head_sha: 'abc', labels: ['eci-virtual'], status: 'queued' },
  repository: { full_name: 'o/r' },
});

interface Answer {
  status: number;
  body: { error?: { code: string; message: string }; result?: string };
}

function post(body: Buffer | string, headers: Record<string, string> = {}): Promise<Answer> {
  const raw = Buffer.from(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/webhook',
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'workflow_job',
          'x-github-delivery': `d-${Math.random()}`,
          'x-hub-signature-256': signWebhookBody(SECRET, raw),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString()) as Answer['body'] }),
        );
      },
    );
    req.on('error', reject);
    req.end(raw);
  });
}

const healthy = async () => {
  const id = 900_000 + accepted.length;
  const before = accepted.length;
  expect((await post(JSON.stringify(job(id)))).status).toBe(202);
  expect(accepted.length).toBe(before + 1);
};

describe('the webhook door under bad input', () => {
  it('answers malformed and wrongly shaped JSON with 400 and a message that says what is wrong', async () => {
    const cases: [string, RegExp][] = [
      ['{"action":', /not JSON/],
      ['', /not JSON/],
      ['null', /must be a JSON object/],
      ['[1,2]', /must be a JSON object/],
      ['"queued"', /must be a JSON object/],
      ['{"action":"queued"}', /repository\.full_name/],
      [JSON.stringify({ ...job(1), workflow_job: null }), /workflow_job must be an object/],
      [JSON.stringify({ ...job(1), workflow_job: { ...job(1).workflow_job, id: '1' } }), /workflow_job\.id/],
      [JSON.stringify({ ...job(1), workflow_job: { ...job(1).workflow_job, labels: 'x' } }), /labels/],
      [JSON.stringify({ ...job(1), workflow_job: { ...job(1).workflow_job, run_attempt: -2 } }), /run_attempt/],
      [JSON.stringify({ ...job(1), repository: { full_name: '../../etc' } }), /repository\.full_name/],
    ];
    for (const [body, message] of cases) {
      const r = await post(body);
      expect({ body, status: r.status }).toEqual({ body, status: 400 });
      expect(r.body.error?.code).toBe('invalid_input');
      expect(r.body.error?.message).toMatch(message);
    }
    expect(accepted).toEqual([]);
    await healthy();
  });

  it('refuses unsigned, wrongly signed and re-signed-elsewhere deliveries with 401 before reading them', async () => {
    const body = JSON.stringify(job(2));
    for (const signature of [
      undefined,
      '',
      'sha1=abc',
      signWebhookBody('other-secret', body),
      signWebhookBody(SECRET, body).toUpperCase(),
      signWebhookBody(SECRET, body + ' '),
      `${signWebhookBody(SECRET, body)}00`,
    ]) {
      const headers: Record<string, string> = signature === undefined ? {} : { 'x-hub-signature-256': signature };
      const r = await new Promise<Answer>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path: '/webhook',
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-github-event': 'workflow_job', ...headers },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              resolve({
                status: res.statusCode!,
                body: JSON.parse(Buffer.concat(chunks).toString()) as Answer['body'],
              }),
            );
          },
        );
        req.on('error', reject);
        req.end(body);
      });
      expect({ signature, status: r.status }).toEqual({ signature, status: 401 });
      expect(r.body.error?.code).toBe('unauthorized');
    }
    expect(accepted.some((d) => d.job.id === 2)).toBe(false);
  });

  it('handles a replayed delivery once, however often it comes', async () => {
    const body = JSON.stringify(job(3));
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => post(body, { 'x-github-delivery': 'replayed-3' })),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 200, 200, 200, 202]);
    expect(accepted.filter((d) => d.job.id === 3)).toHaveLength(1);
    expect((await post(body, { 'x-github-delivery': 'replayed-3' })).body.result).toMatch(/duplicate/);
  });

  it('reads the content type it is given: form-encoded needs a JSON payload field', async () => {
    const json = JSON.stringify(job(4));
    const form = 'application/x-www-form-urlencoded';
    expect((await post(json, { 'content-type': form })).body.error?.message).toMatch(/without a payload field/);
    expect((await post('payload=%7Bnot-json', { 'content-type': form })).body.error?.message).toMatch(/not JSON/);
    expect(
      (await post(`payload=${encodeURIComponent(json)}`, { 'content-type': `${form}; charset=utf-8` })).status,
    ).toBe(202);
    // GitHub sends only JSON or form bodies; anything else is read as JSON text, so a JSON body still counts.
    expect((await post(JSON.stringify(job(5)), { 'content-type': 'text/plain' })).status).toBe(202);
    expect((await post('<xml/>', { 'content-type': 'application/xml' })).body.error?.message).toMatch(/not JSON/);
  });

  it('answers an oversized body with 413 the sender can read, whether its length is declared or not', async () => {
    const big = Buffer.alloc(2 * 1024 * 1024, 'a');
    const declared = await post(big);
    expect(declared.status).toBe(413);
    expect(declared.body.error?.message).toMatch(/too large/);
    const chunked = await new Promise<Answer>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path: '/webhook', method: 'POST', headers: { 'transfer-encoding': 'chunked' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(chunks).toString()) as Answer['body'] }),
          );
        },
      );
      req.on('error', reject);
      for (let i = 0; i < 40; i++) req.write(Buffer.alloc(64 * 1024, 'b'));
      req.end();
    });
    expect(chunked.status).toBe(413);
    // A declared length past anything GitHub sends is answered at once, and the connection closed.
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      const socket = connect(port, '127.0.0.1', () =>
        socket.write('POST /webhook HTTP/1.1\r\nhost: x\r\ncontent-length: 1000000000\r\n\r\n{"a":'),
      );
      socket.on('data', (c: Buffer) => (text += c.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', () => undefined);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toMatch(/connection: close/i);
    await healthy();
  });

  it('drops a body cut off mid-way without an answer to nobody, and keeps serving', async () => {
    const full = Buffer.from(JSON.stringify(job(6)));
    await new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(
          `POST /webhook HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\nx-github-event: workflow_job\r\n` +
            `x-hub-signature-256: ${signWebhookBody(SECRET, full)}\r\ncontent-length: ${full.length}\r\n\r\n`,
        );
        socket.write(full.subarray(0, 20));
        setTimeout(() => socket.destroy(), 50);
      });
      socket.on('close', () => resolve());
    });
    // A body cut short but signed as sent is malformed JSON: 400.
    const cut = JSON.stringify(job(7)).slice(0, 30);
    expect((await post(cut)).status).toBe(400);
    expect(accepted.some((d) => d.job.id === 6 || d.job.id === 7)).toBe(false);
    await healthy();
  });

  it('gives 2xx or 4xx, never 500, to 600 seeded mutations of a signed delivery', async () => {
    const r = seeded(19_005);
    const valid = JSON.stringify(job(8));
    const noise = ['{', '}', '[', ']', '"', ',', ':', 'null', '0', '-1e999', '"\\u0000"', '\\', 'true', '\ud800'];
    const seen = new Set<number>();
    for (let i = 0; i < 600; i++) {
      let body = valid;
      for (let m = 1 + r.int(3); m > 0; m--) body = mutate(r, body, noise);
      const a = await post(body);
      seen.add(a.status);
      expect({ i, body, status: a.status < 500 }).toEqual({ i, body, status: true });
    }
    expect(seen.has(400)).toBe(true);
    await healthy();
  }, 60_000);
});
