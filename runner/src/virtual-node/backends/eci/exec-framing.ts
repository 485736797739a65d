/**
 * The framing of an ECI exec session's WebSocket (the `WebSocketUri` ExecContainerCommand returns).
 *
 * ECI publishes that the URI is a WebSocket to the container, valid for 30 s, but not the frames on it. Where nothing
 * is published we speak Kubernetes' `v5.channel.k8s.io` (k8s.io/apimachinery/pkg/util/remotecommand; ECI's own
 * virtual-kubelet bridges `kubectl exec` to this socket): every binary message starts with one byte naming the stream.
 *
 *   0 stdin  (client → server)          1 stdout (server → client)      2 stderr (server → client)
 *   3 error  (server → client, once, last: a metav1.Status — `Success`, or `Failure` with reason `NonZeroExitCode`
 *            and a cause `{reason: "ExitCode", message: "<code>"}`, or another failure), as the kubelet writes it
 *   4 resize (client → server, JSON `{"Width": w, "Height": h}`)
 *   255 close (client → server, payload one byte: the stream that reached EOF — stdin)
 *
 * README ("ECI exec") records that this is an assumption about ECI, to be confirmed against the service.
 */
export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, status: 3, resize: 4, close: 255 } as const;

export type Channel = (typeof CHANNEL)[keyof typeof CHANNEL];

/** The metav1.Status fields the exit is read from (JSON names; a StatusCause's `Type` is serialised as `reason`). */
export interface ExecStatus {
  status?: string;
  message?: string;
  reason?: string;
  details?: { causes?: { reason?: string; message?: string }[] };
}

/**
 * The command's exit code from the status on stream 3, decoded the way client-go's errorDecoderV4 does: `Success`
 * → 0; `Failure` with reason `NonZeroExitCode` → the `ExitCode` cause's number; any other failure → `{error}`.
 */
export function exitFromStatus(s: ExecStatus): { exitCode: number } | { error: string } {
  if (s.status === 'Success') return { exitCode: 0 };
  if (s.status === 'Failure' && s.reason === 'NonZeroExitCode') {
    const cause = s.details?.causes?.find((c) => c.reason === 'ExitCode');
    const code = Number(cause?.message);
    if (cause && Number.isInteger(code) && code >= 0 && code <= 255) return { exitCode: code };
    return { error: `exit status without a valid ExitCode cause: ${JSON.stringify(s.details ?? {})}` };
  }
  return { error: s.message ?? `exec status ${s.status ?? 'missing'}${s.reason ? ` (${s.reason})` : ''}` };
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
