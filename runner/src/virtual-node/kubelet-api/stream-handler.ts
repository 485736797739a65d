/** exec/attach over SPDY/3.1 or WebSocket: negotiates the transport, then bridges it to the backend. */
import { Unavailable } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import type { Backend } from '../backends/backend.js';
import type { PodController } from '../pods/pod-controller.js';
import type { StreamHandler } from './server.js';

export function createStreamHandler(_deps: { pods: PodController; backend: Backend; log: Logger }): StreamHandler {
  return async () => {
    throw new Unavailable('streaming transport not wired yet');
  };
}
