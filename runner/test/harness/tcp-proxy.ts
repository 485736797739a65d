/**
 * Exposes a unix socket on a TCP address (test-only): a virtual node running IN a pod reaches the development
 * engine's Docker API this way (pods get no host mounts). Byte-for-byte, so hijacked exec/attach streams work too.
 */
import { connect, createServer, type Server } from 'node:net';

export async function unixSocketOverTcp(
  socketPath: string,
  host: string,
): Promise<{ port: number; close: () => Promise<void> }> {
  const server: Server = createServer((client) => {
    const upstream = connect(socketPath);
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    port: (server.address() as { port: number }).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
