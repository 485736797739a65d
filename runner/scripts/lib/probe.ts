/** One-shot HTTP(S) GET used by readiness checks; never throws, bounded by a timeout. */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';

export interface ProbeTls {
  ca?: string;
  cert?: string;
  key?: string;
  /** Components that serve a self-signed cert (scheduler, controller manager) are probed without verification. */
  insecure?: boolean;
}

export interface ProbeResult {
  status: number;
  body: string;
}

export function probe(url: string, tls: ProbeTls = {}, timeoutMs = 2_000): Promise<ProbeResult | undefined> {
  return new Promise((resolve) => {
    const u = new URL(url);
    const lib = u.protocol === 'https:' ? https : http;
    const options: https.RequestOptions = { method: 'GET', timeout: timeoutMs };
    if (u.protocol === 'https:') {
      if (tls.ca) options.ca = readFileSync(tls.ca);
      if (tls.cert) options.cert = readFileSync(tls.cert);
      if (tls.key) options.key = readFileSync(tls.key);
      options.rejectUnauthorized = !tls.insecure;
    }
    const req = lib.request(u, options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}
