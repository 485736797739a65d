/**
 * Runs one `eci-virtual run` step through the agent of its container (agent/client.ts over an exec-dial.ts stream):
 * the same step wrapper as the exec path (step-script.ts), with the same guarantees — output by byte offset, resumed
 * after a drop; the exit code only from the agent's record of the process; cancel kills the step's process group —
 * and no exec of its own.
 *
 * Two agent steps per workflow step, no shell assumed beyond the one the wrapper needs anyway:
 *   1. the stager: `/bin/sh -c STAGER eci-step <dir> <wrapper in argv chunks>` writes the wrapper into the step's
 *      directory (argv, because agent steps get no stdin) and execs it; the agent follows its output;
 *   2. the reader: `/bin/sh -c FILES_READER eci-files <dir>` prints GITHUB_ENV/OUTPUT/PATH/STEP_SUMMARY with the
 *      exec path's length-prefixed framing (protocol.ts). A step of its own, not appended to the step's output:
 *      background processes the step left behind may still write to that output.
 */
import { Cancelled, describeError, Internal } from '@eci-virtual/contract';
import type { Logger } from '../observability/logger.js';
import type { AgentClient } from './agent/client.js';
import type { StepStatus } from './agent/protocol.js';
import { TrailerParser, type StepOutcome } from './protocol.js';

/**
 * Saves the wrapper given as arguments 2… into the step directory and runs it; a directory the job container's user
 * cannot write ends with 126 and says so, as the exec launcher does.
 */
export const STAGER = String.raw`d="$1"; shift
if ! mkdir -p "$d" 2>/dev/null || ! [ -w "$d" ]; then
  echo "eci-virtual: cannot write the step directory $d as uid $(id -u 2>/dev/null || echo ?); the workspace must be writable by the job container's user"
  exit 126
fi
printf '%s' "$@" > "$d/wrapper.sh" || exit 126
exec /bin/sh "$d/wrapper.sh"
`;

/** Prints the step's file commands in the trailer framing, then `::eci-end::`. */
export const FILES_READER = String.raw`d="$1"
for f in env output path summary state; do
  if [ -s "$d/$f" ]; then printf '::eci-file::%s::%s\n' "$f" "$(wc -c < "$d/$f")"; cat "$d/$f"; fi
done
echo "::eci-end::"
`;

/**
 * One argument holds at most MAX_ARG_STRLEN (128 KiB) bytes on Linux; 32 Ki UTF-16 units are at most 96 KiB of
 * UTF-8. The whole request must stay under the agent's --max-body (1 MiB).
 */
const CHUNK_UNITS = 32 * 1024;

/** Splits text into argv-sized pieces, never between the two halves of a surrogate pair. */
export function argvChunks(text: string, units = CHUNK_UNITS): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length;) {
    let end = Math.min(text.length, i + units);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    out.push(text.slice(i, end));
    i = end;
  }
  return out;
}

export interface AgentStepOptions {
  /** Unique among the steps of this agent (the container), e.g. `step-3`. */
  id: string;
  /** The step's directory on the workspace (GITHUB_ENV & co. live there). */
  dir: string;
  /** The generated wrapper script (step-script.ts). */
  wrapper: string;
  onOutput: (chunk: Buffer) => void;
  /** Aborting cancels the step: SIGTERM to its process group, SIGKILL after graceSeconds. */
  signal?: AbortSignal;
  graceSeconds?: number;
  log?: Logger;
}

export interface AgentStepRun extends StepOutcome {
  outputBytes: number;
}

export async function runAgentStep(client: AgentClient, o: AgentStepOptions): Promise<AgentStepRun> {
  if (o.signal?.aborted) throw new Cancelled('step cancelled');
  const command = { env: {}, inheritEnv: true };
  // No signal on the start: once asked, the step may be running, and only a cancel stops it.
  await client.startStep({
    id: o.id,
    argv: ['/bin/sh', '-c', STAGER, 'eci-step', o.dir, ...argvChunks(o.wrapper)],
    ...command,
  });
  let result: StepStatus;
  try {
    result = await client.followOutput(o.id, 0, o.onOutput, o.signal);
  } catch (err) {
    if (o.signal?.aborted) {
      await stopStep(client, o.id, o.graceSeconds ?? 5, o.log);
      throw new Cancelled('step cancelled', { cause: err });
    }
    throw err;
  }
  const exitCode = result.exitCode!;
  const trailer = new TrailerParser();
  const read = await client.run(
    { id: `${o.id}.files`, argv: ['/bin/sh', '-c', FILES_READER, 'eci-files', o.dir], ...command },
    (chunk) => trailer.push(chunk),
  );
  const files = trailer.filesOutcome();
  if (read.exitCode !== 0 || !files)
    throw new Internal(
      `reading the step's file commands failed (exit code ${read.exitCode}${trailer.noise.length ? `: ${trailer.noise.slice(0, 3).join(' | ')}` : ''})`,
    );
  return { exitCode, files, outputBytes: result.bytes };
}

/** Cancels the step and waits until its process group is gone (the agent sends SIGKILL after the grace). */
async function stopStep(client: AgentClient, id: string, graceSeconds: number, log?: Logger): Promise<void> {
  try {
    await client.cancel(id, graceSeconds);
    await client.result(id, AbortSignal.timeout((graceSeconds + 5) * 1000));
  } catch (err) {
    log?.warn('stopping a cancelled step through its agent failed', { step: id, err: describeError(err) });
  }
}
