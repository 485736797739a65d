/**
 * The local cluster's PKI, made with the openssl CLI: one CA, the API server's serving cert, client certs for the
 * admin, the scheduler, the controller manager, metrics-server and the API server's kubelet client (used to reach our
 * virtual node's kubelet API for logs/exec), and the service-account signing key. For the API aggregation layer: a
 * separate front-proxy CA with the API server's proxy client cert (aggregated API servers trust the identity headers
 * only from certs of that CA), and metrics-server's serving cert. Existing files are kept, so `up` is idempotent,
 * kubeconfigs stay valid across restarts, and an older PKI dir only gains the files it lacks.
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
  clients: Record<'admin' | 'scheduler' | 'controllerManager' | 'metricsServer', { cert: string; key: string }>;
  /** CA of the API server's proxy client cert (--requestheader-client-ca-file). */
  frontProxyCaCert: string;
  /** The API server's client cert towards aggregated API servers (--proxy-client-cert-file). */
  frontProxyClient: { cert: string; key: string };
  /** metrics-server's serving cert, valid for its Service's DNS name (what the aggregator verifies) and loopback. */
  metricsServerServing: { cert: string; key: string };
}

/** The CN of the API server's proxy client cert (--requestheader-allowed-names). */
export const FRONT_PROXY_CLIENT_CN = 'front-proxy-client';
/** The user metrics-server is to the API server and to kubelets (RBAC subjects name it). */
export const METRICS_SERVER_USER = 'eci-virtual-metrics-server';
/** The in-cluster name the APIService points at: `<service>.<namespace>.svc`. */
export const METRICS_SERVER_SERVICE = { name: 'metrics-server', namespace: 'kube-system' } as const;

const CLIENTS = {
  admin: { cn: 'eci-virtual-admin', o: 'system:masters' },
  scheduler: { cn: 'system:kube-scheduler', o: undefined },
  controllerManager: { cn: 'system:kube-controller-manager', o: undefined },
  metricsServer: { cn: METRICS_SERVER_USER, o: undefined },
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

/** A self-signed CA named `<name>.crt`/`<name>.key`, made once. */
async function authority(dir: string, name: string, cn: string): Promise<{ caCert: string; caKey: string }> {
  const caCert = join(dir, `${name}.crt`);
  const caKey = join(dir, `${name}.key`);
  await key(caKey);
  if (!existsSync(caCert)) {
    await $`openssl req -x509 -new -key ${caKey} -subj /CN=${cn} -days 3650 -addext ${'basicConstraints=critical,CA:TRUE'} -addext ${'keyUsage=critical,keyCertSign,cRLSign,digitalSignature'} -out ${caCert}`.quiet();
  }
  return { caCert, caKey };
}

export async function ensurePki(dir: string): Promise<Pki> {
  mkdirSync(dir, { recursive: true });
  const ca = await authority(dir, 'ca', 'eci-virtual-local-ca');
  const { caCert, caKey } = ca;
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
  const frontProxyCa = await authority(dir, 'front-proxy-ca', 'eci-virtual-front-proxy-ca');
  const frontProxyClient = await leaf(frontProxyCa, 'front-proxy-client', dir, `/CN=${FRONT_PROXY_CLIENT_CN}`, [
    'extendedKeyUsage=clientAuth',
  ]);
  const { name: svc, namespace: svcNs } = METRICS_SERVER_SERVICE;
  const metricsServerServing = await leaf(ca, 'metrics-server-serving', dir, `/CN=${svc}.${svcNs}.svc`, [
    `subjectAltName=DNS:${svc}.${svcNs}.svc,DNS:localhost,IP:127.0.0.1`,
    'extendedKeyUsage=serverAuth',
  ]);
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
    frontProxyCaCert: frontProxyCa.caCert,
    frontProxyClient,
    metricsServerServing,
  };
}
