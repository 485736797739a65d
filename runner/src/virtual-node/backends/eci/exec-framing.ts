/**
 * The framing of an ECI exec session's WebSocket (the `WebSocketUri` ExecContainerCommand returns), shared by
 * EciBackend and the test emulator so both sides speak exactly one dialect.
 *
 * It models the real service's stream: ECI documents that the URI is a WebSocket valid for 30 s that carries the
 * command's stdin/stdout/stderr, but the wire details are not published in full. We use the channel-byte scheme of
 * Kubernetes' `v5.channel.k8s.io` (which ECI's own virtual-kubelet bridges to): every binary message starts with one
 * byte naming the stream, followed by the payload.
 *
 *   0 stdin  (client → server)          1 stdout (server → client)      2 stderr (server → client)
 *   3 status (server → client, JSON `{"exitCode": n}` or `{"exitCode": -1, "error": "..."}`, sent once, last)
 *   4 resize (client → server, JSON `{"Width": w, "Height": h}`)
 *   255 close (client → server, payload one byte: the channel that reached EOF — stdin)
 */
export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, status: 3, resize: 4, close: 255 } as const;

export type Channel = (typeof CHANNEL)[keyof typeof CHANNEL];

export interface ExecStatusFrame {
  exitCode: number;
  error?: string;
}

export function encodeFrame(channel: Channel, payload: Buffer | string = Buffer.alloc(0)): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  return Buffer.concat([Buffer.from([channel]), data]);
}

/** Undefined for an empty message (carries no channel). */
export function decodeFrame(message: Buffer): { channel: number; payload: Buffer } | undefined {
  if (message.length === 0) return undefined;
  return { channel: message[0]!, payload: message.subarray(1) };
}

export const statusFrame = (status: ExecStatusFrame): Buffer => encodeFrame(CHANNEL.status, JSON.stringify(status));

export const resizeFrame = (size: { width: number; height: number }): Buffer =>
  encodeFrame(CHANNEL.resize, JSON.stringify({ Width: size.width, Height: size.height }));

export const stdinClosedFrame = (): Buffer => encodeFrame(CHANNEL.close, Buffer.from([CHANNEL.stdin]));

/** ExecContainerCommand's published limits on `Command`. */
export const EXEC_LIMITS = { maxArgs: 20, maxArgLength: 256 } as const;

/** Why `command` cannot be sent to ExecContainerCommand, or undefined when it can. */
export function execCommandProblem(command: string[]): string | undefined {
  if (command.length === 0) return 'the command is empty';
  if (command.length > EXEC_LIMITS.maxArgs)
    return `the command has ${command.length} arguments; ECI accepts at most ${EXEC_LIMITS.maxArgs}`;
  const long = command.findIndex((a) => a.length > EXEC_LIMITS.maxArgLength);
  if (long >= 0)
    return `argument ${long + 1} is ${command[long]!.length} characters long; ECI accepts at most ${EXEC_LIMITS.maxArgLength}`;
  return undefined;
}
