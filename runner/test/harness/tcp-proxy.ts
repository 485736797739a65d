/**
 * Exposes a unix socket on a TCP address (test-only): a virtual node running IN a pod reaches the development
 * engine's Docker API this way (pods get no host mounts). Byte-for-byte, so hijacked exec/attach streams work too.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

/** Whether `remote` (a connection's peer address) lies in the /16 around the pod-facing `host`, or is loopback. */
export function fromPodNetwork(remote: string | undefined, host: string): boolean {
  const ip = (remote ?? '').replace(/^::ffff:/, '');
  if (ip === '127.0.0.1' || ip === '::1') return true;
  const prefix = host.split('.').slice(0, 2).join('.');
  return /^\d+\.\d+\.\d+\.\d+$/.test(ip) && ip.startsWith(`${prefix}.`);
}

/**
 * Listens on all addresses — the engine's bridge (where `host` lives) exists only while some container runs on it,
 * so binding `host` itself fails on a quiet engine — and serves only peers on the pod network around `host` (or
 * loopback): the socket behind it is root on this machine.
 */
export async function unixSocketOverTcp(
  socketPath: string,
  host: string,
): Promise<{ port: number; close: () => Promise<void> }> {
  // Half-open both ways: exec sends stdin EOF (FIN) and still reads the command's output afterwards.
  const open = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    if (!fromPodNetwork(client.remoteAddress, host)) {
      client.destroy();
      return;
    }
    const upstream = connect({ path: socketPath, allowHalfOpen: true });
    for (const sock of [client, upstream]) {
      open.add(sock);
      sock.on('close', () => open.delete(sock));
    }
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    // Tear down only when both directions are finished (or either fails).
    let closed = 0;
    const onClose = () => ++closed === 2 && end();
    client.on('close', onClose);
    upstream.on('close', onClose);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as { port: number }).port,
    // A pod that vanished never closes its connections (its network namespace is gone): end them here, or
    // server.close() would wait for them forever.
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        for (const sock of open) sock.destroy();
      }),
  };
}
