/**
 * exec/attach: resolves the pod, accepts the caller's transport (WebSocket channel protocol; SPDY/3.1 when an API
 * server < 1.36 translates for its client), then bridges the session to the backend and reports the exit code.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { describeError, InvalidInput, NotFound, Unavailable } from '@eci-virtual/contract';
import type { Logger } from '../../observability/logger.js';
import type { Backend } from '../backends/backend.js';
import type { PodController } from '../pods/pod-controller.js';
import type { StreamSession } from '../streaming/session.js';
import { acceptSpdy, isSpdyUpgrade } from '../streaming/spdy/connection.js';
import { acceptWebSocket, isWebSocketUpgrade } from '../streaming/websocket.js';
import { streamRequest } from './query.js';
import type { StreamHandler } from './server.js';

export type SpdyAcceptor = (
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  expected: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean },
) => Promise<StreamSession>;

export function createStreamHandler(deps: {
  pods: PodController;
  backend: Backend;
  log: Logger;
  spdy?: SpdyAcceptor;
}): StreamHandler {
  return async (kind, segments, query, req, socket, head) => {
    const r = streamRequest(segments, query);
    const ref = deps.pods.find(r.namespace, r.pod);
    if (!ref || (r.uid && r.uid !== ref.uid)) throw new NotFound(`pod ${r.namespace}/${r.pod} is not on this node`);
    const pod = deps.pods.pods().find((p) => p.metadata?.uid === ref.uid);
    if (
      !pod?.spec?.containers.some((c) => c.name === r.container) &&
      !pod?.spec?.initContainers?.some((c) => c.name === r.container)
    ) {
      throw new NotFound(`container ${r.container} is not valid for pod ${r.namespace}/${r.pod}`);
    }
    if (kind === 'exec' && r.command.length === 0) throw new InvalidInput('exec needs at least one command argument');
    const expected = { stdin: r.stdin, stdout: r.stdout, stderr: r.stderr, tty: r.tty };
    let session: StreamSession;
    if (isWebSocketUpgrade(req)) session = await acceptWebSocket(req, socket, head, expected);
    else if (isSpdyUpgrade(req)) session = await (deps.spdy ?? acceptSpdy)(req, socket, head, expected);
    else
      throw new Unavailable(`unsupported streaming upgrade "${req.headers.upgrade ?? ''}" (use SPDY/3.1 or WebSocket)`);
    const log = deps.log.child({
      pod: `${r.namespace}/${r.pod}`,
      container: r.container,
      kind,
      protocol: session.protocol,
    });
    const abort = new AbortController();
    void session.closed.then(() => abort.abort());
    const io = {
      tty: r.tty,
      ...(session.stdin ? { stdin: session.stdin } : {}),
      ...(session.stdout ? { stdout: session.stdout } : {}),
      ...(session.stderr ? { stderr: session.stderr } : {}),
      ...(session.resize ? { resize: session.resize } : {}),
    };
    try {
      const exitCode =
        kind === 'exec'
          ? await deps.backend.exec(ref, r.container, r.command, io, abort.signal)
          : await deps.backend.attach(ref, r.container, io, abort.signal);
      log.info('stream finished', { exitCode });
      await session.finish(exitCode < 0 ? { exitCode: 0 } : { exitCode });
    } catch (err) {
      log.info('stream failed', { err: describeError(err) });
      await session.finish({ error: describeError(err) });
    }
  };
}
