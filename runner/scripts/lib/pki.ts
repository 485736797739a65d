/**
 * The local cluster's PKI, made with the openssl CLI: one CA, the API server's serving cert, client certs for the
 * admin, the scheduler, the controller manager and the API server's kubelet client (used to reach our virtual node's
 * kubelet API for logs/exec), and the service-account signing key. Existing files are kept, so `up` is idempotent
 * and kubeconfigs stay valid across restarts.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { $ } from 'zx';
import { podHostAddress } from './paths.js';

export interface Pki {
  dir: string;
  caCert: string;
  caKey: string;
  apiserverCert: string;
  apiserverKey: string;
  kubeletClientCert: string;
  kubeletClientKey: string;
  saKey: string;
  saPub: string;
  clients: Record<'admin' | 'scheduler' | 'controllerManager', { cert: string; key: string }>;
}

const CLIENTS = {
  admin: { cn: 'eci-virtual-admin', o: 'system:masters' },
  scheduler: { cn: 'system:kube-scheduler', o: undefined },
  controllerManager: { cn: 'system:kube-controller-manager', o: undefined },
} as const;

async function key(path: string): Promise<void> {
  if (!existsSync(path)) await $`openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ${path}`.quiet();
}

async function leaf(
  pki: { caCert: string; caKey: string },
  name: string,
  dir: string,
  subject: string,
  ext: string[],
): Promise<{ cert: string; key: string }> {
  const keyPath = join(dir, `${name}.key`);
  const certPath = join(dir, `${name}.crt`);
  const extPath = join(dir, `${name}.ext`);
  await key(keyPath);
  // Re-issue when the requested extensions (e.g. SANs) changed since the cert was made.
  const extKey = [subject, ...ext].join('\n');
  if (existsSync(certPath) && (!existsSync(extPath) || readFileSync(extPath, 'utf8') !== extKey)) rmSync(certPath);
  if (!existsSync(certPath)) {
    const addext = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', ...ext]
      .map((e) => ['-addext', e])
      .flat();
    await $`openssl req -x509 -new -key ${keyPath} -CA ${pki.caCert} -CAkey ${pki.caKey} -subj ${subject} -days 3650 ${addext} -out ${certPath}`.quiet();
    writeFileSync(extPath, extKey);
  }
  return { cert: certPath, key: keyPath };
}

export async function ensurePki(dir: string): Promise<Pki> {
  mkdirSync(dir, { recursive: true });
  const caCert = join(dir, 'ca.crt');
  const caKey = join(dir, 'ca.key');
  await key(caKey);
  if (!existsSync(caCert)) {
    await $`openssl req -x509 -new -key ${caKey} -subj /CN=eci-virtual-local-ca -days 3650 -addext ${'basicConstraints=critical,CA:TRUE'} -addext ${'keyUsage=critical,keyCertSign,cRLSign,digitalSignature'} -out ${caCert}`.quiet();
  }
  const ca = { caCert, caKey };
  const san = [
    'IP:127.0.0.1',
    'IP:10.0.0.1',
    `IP:${podHostAddress}`,
    'DNS:localhost',
    'DNS:kubernetes',
    'DNS:kubernetes.default',
    'DNS:kubernetes.default.svc',
    'DNS:kubernetes.default.svc.cluster.local',
  ].join(',');
  const apiserver = await leaf(ca, 'apiserver', dir, '/CN=kube-apiserver', [
    `subjectAltName=${san}`,
    'extendedKeyUsage=serverAuth',
  ]);
  const kubeletClient = await leaf(
    ca,
    'apiserver-kubelet-client',
    dir,
    '/CN=kube-apiserver-kubelet-client/O=system:masters',
    ['extendedKeyUsage=clientAuth'],
  );
  const clients = {} as Pki['clients'];
  for (const [name, { cn, o }] of Object.entries(CLIENTS) as [keyof typeof CLIENTS, { cn: string; o?: string }][]) {
    clients[name] = await leaf(ca, name, dir, o ? `/CN=${cn}/O=${o}` : `/CN=${cn}`, ['extendedKeyUsage=clientAuth']);
  }
  const saKey = join(dir, 'sa.key');
  const saPub = join(dir, 'sa.pub');
  await key(saKey);
  if (!existsSync(saPub)) await $`openssl pkey -in ${saKey} -pubout -out ${saPub}`.quiet();
  return {
    dir,
    caCert,
    caKey,
    apiserverCert: apiserver.cert,
    apiserverKey: apiserver.key,
    kubeletClientCert: kubeletClient.cert,
    kubeletClientKey: kubeletClient.key,
    saKey,
    saPub,
    clients,
  };
}
