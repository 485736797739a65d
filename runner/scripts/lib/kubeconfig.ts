/** Kubeconfig files with embedded certificates (JSON is valid YAML, so every client reads it). */
import { readFileSync, writeFileSync } from 'node:fs';

const b64 = (path: string) => readFileSync(path).toString('base64');

export function writeKubeconfig(
  path: string,
  opts: { server: string; caCert: string; cert: string; key: string; user: string },
): void {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'eci-virtual-local', cluster: { server: opts.server, 'certificate-authority-data': b64(opts.caCert) } },
    ],
    users: [{ name: opts.user, user: { 'client-certificate-data': b64(opts.cert), 'client-key-data': b64(opts.key) } }],
    contexts: [{ name: 'eci-virtual-local', context: { cluster: 'eci-virtual-local', user: opts.user } }],
    'current-context': 'eci-virtual-local',
  };
  writeFileSync(path, JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
}
