/**
 * The emulator's side of the exec WebSocket that ExecContainerCommand's `WebSocketUri` points at, written apart
 * from the product's exec-framing.ts on purpose (a mistake shared by both would pass every test).
 *
 * What is published: the ExecContainerCommand API reference
 * (alibabacloud.com/help/en/elastic-container-instance/latest/execcontainercommand) gives `Command` as a JSON string
 * array, "up to 20 commands, each up to 256 characters", and a `WebSocketUri` "to establish a WebSocket connection
 * with the container"; "Use and integrate the ECI Terminal" (alibabacloud.com/help/en/eci/use-cases/
 * use-and-integrate-the-elastic-container-instance-terminal) says the URL is valid for 30 seconds. Nothing of the
 * frames on that socket is published. Everything below is therefore taken from the protocol
 * Kubernetes uses for the same job, `v5.channel.k8s.io` (k8s.io/apimachinery/pkg/util/remotecommand/constants.go;
 * the kubelet's streaming server in k8s.io/kubelet/pkg/cri/streaming/remotecommand), which ECI's virtual-kubelet
 * bridges `kubectl exec` to:
 *  - every binary message starts with one byte naming the stream: 0 stdin, 1 stdout, 2 stderr, 3 error (the final
 *    status), 4 resize (`{"Width","Height"}` JSON), and in v5 255 close (payload: the stream that reached EOF);
 *  - the status on stream 3 is a metav1.Status, as the kubelet's writeStatus sends it: `Success`, or `Failure` with
 *    reason `NonZeroExitCode` and one cause of type (JSON key `reason`) `ExitCode` whose message is the exit code;
 *    an error that is not an exit is `Failure`, reason `InternalError`, code 500 (apierrors.NewInternalError).
 * README ("ECI exec") records that this is an assumption about ECI, not a published fact.
 */
export const STREAM = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

export const frame = (stream: number, payload: Buffer | string = Buffer.alloc(0)): Buffer =>
  Buffer.concat([Buffer.from([stream]), typeof payload === 'string' ? Buffer.from(payload) : payload]);

export const unframe = (message: Buffer): { stream: number; payload: Buffer } | undefined =>
  message.length === 0 ? undefined : { stream: message[0]!, payload: message.subarray(1) };

/** The metav1.Status the kubelet writes on the error stream when the process ends (or cannot run). */
export function exitStatus(end: { exitCode: number } | { error: string }): Record<string, unknown> {
  const base = { kind: 'Status', apiVersion: 'v1', metadata: {} };
  if ('error' in end)
    return {
      ...base,
      status: 'Failure',
      message: `Internal error occurred: error executing command in container: ${end.error}`,
      reason: 'InternalError',
      details: { causes: [{ message: `error executing command in container: ${end.error}` }] },
      code: 500,
    };
  if (end.exitCode === 0) return { ...base, status: 'Success' };
  return {
    ...base,
    status: 'Failure',
    message: `command terminated with non-zero exit code: exit status ${end.exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(end.exitCode) }] },
  };
}

/** ExecContainerCommand's `Command` bounds, as the API reference states them (20 entries of ≤ 256 characters). */
export const COMMAND_LIMITS = { args: 20, argLength: 256 } as const;

export function commandProblem(command: string[]): string | undefined {
  if (command.length === 0) return 'Command must not be empty';
  if (command.length > COMMAND_LIMITS.args) return `Command takes at most ${COMMAND_LIMITS.args} arguments`;
  const i = command.findIndex((a) => a.length > COMMAND_LIMITS.argLength);
  return i >= 0 ? `Command argument ${i + 1} may be at most ${COMMAND_LIMITS.argLength} characters long` : undefined;
}
