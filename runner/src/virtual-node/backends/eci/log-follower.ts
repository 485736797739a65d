/**
 * Container logs over DescribeContainerLog, which has no follow mode (and answers ≤ 2000 lines / 1 MB per call):
 * `kubectl logs -f` is emulated by polling with timestamps. Each poll asks from the second of the last line seen
 * (StartTime), drops what was already delivered — every line older than the last one, and as many lines stamped
 * exactly like it as were already sent — so the output has no duplicates; polling from that second on (not after it)
 * means no gaps. The stream ends when the container has terminated (after one last poll) or `signal` aborts.
 */
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidInput } from '../../../errors.js';
import type { Logger } from '../../../observability/logger.js';
import type { LogOptions } from '../backend.js';
import type { ParamValue } from './eci-client.js';

/** DescribeContainerLog's per-call cap on lines. */
export const LOG_LINE_CAP = 2000;

export interface LogSource {
  /** One DescribeContainerLog call with these parameters (ContainerGroupId/ContainerName already set); → Content. */
  fetch(params: Record<string, ParamValue>, signal: AbortSignal): Promise<string>;
  /** True once the container (or its group) has ended: the next poll is the last. */
  finished(): boolean;
}

interface Line {
  /** Sortable form of the timestamp (seconds, nanoseconds), or undefined when the line had none. */
  key: string | undefined;
  stamp: string | undefined;
  text: string;
}

const STAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d) /;

/** `2024-05-01T10:00:00.5Z text` → key `2024-05-01T10:00:00Z.500000000`, comparable as a string. */
export function splitStamp(raw: string): Line {
  const m = STAMP.exec(raw);
  if (!m) return { key: undefined, stamp: undefined, text: raw };
  const seconds = new Date(`${m[1]}${m[3]}`).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { key: `${seconds}.${(m[2] ?? '').padEnd(9, '0')}`, stamp: m[0].trimEnd(), text: raw.slice(m[0].length) };
}

const lines = (content: string) => content.split('\n').filter((l, i, all) => l.length > 0 || i < all.length - 1);

/** Parameters of the first (or only) call, from the user's options. */
export function firstQuery(options: LogOptions, follow: boolean): Record<string, ParamValue> {
  if (options.previous) throw new InvalidInput('ECI does not keep the logs of previous container instances');
  return {
    // Following needs the stamps to dedupe, and counts LimitBytes itself across polls.
    Timestamps: follow || options.timestamps,
    Tail: options.tailLines,
    SinceSeconds: options.sinceSeconds,
    StartTime: options.sinceTime?.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    LimitBytes: follow ? undefined : options.limitBytes,
  };
}

export function followLogs(
  source: LogSource,
  options: LogOptions,
  signal: AbortSignal,
  opts: { intervalMs: number; log: Logger },
): Readable {
  async function* run(): AsyncGenerator<string> {
    let lastKey: string | undefined;
    let atLast = 0;
    let sentBytes = 0;
    let query = firstQuery(options, true);
    for (;;) {
      if (signal.aborted) return;
      const ending = source.finished();
      let content: string;
      try {
        content = await source.fetch(query, signal);
      } catch (err) {
        if (signal.aborted) return;
        throw err;
      }
      const batch = lines(content);
      let out = '';
      for (const raw of batch) {
        const line = splitStamp(raw);
        if (line.key !== undefined && lastKey !== undefined) {
          if (line.key < lastKey) continue;
          if (line.key === lastKey && atLast > 0) {
            atLast--; // already delivered in an earlier poll
            continue;
          }
        }
        out += `${options.timestamps || !line.stamp ? raw : line.text}\n`;
      }
      // The cursor: the newest stamp and how many lines carry it (all delivered by now).
      const stamped = batch.map(splitStamp).filter((l) => l.key !== undefined);
      const newest = stamped.at(-1)?.key;
      if (newest !== undefined) {
        lastKey = newest;
        atLast = stamped.filter((l) => l.key === newest).length;
        query = { Timestamps: true, StartTime: `${newest.slice(0, 19)}Z` };
      }
      if (batch.length >= LOG_LINE_CAP)
        opts.log.warn('a log poll hit the 2000-line cap; output may have a gap', { lines: batch.length });
      if (out) {
        if (options.limitBytes !== undefined) {
          const room = options.limitBytes - sentBytes;
          const buf = Buffer.from(out).subarray(0, Math.max(0, room));
          sentBytes += buf.length;
          if (buf.length) yield buf.toString();
          if (sentBytes >= options.limitBytes) return;
        } else yield out;
      }
      if (ending) return;
      if (batch.length < LOG_LINE_CAP) await sleep(opts.intervalMs, undefined, { signal }).catch(() => undefined);
    }
  }
  return Readable.from(run(), { objectMode: false });
}

/** Non-follow logs: one call, as the user asked. */
export async function readLogs(source: LogSource, options: LogOptions, signal: AbortSignal): Promise<Readable> {
  return Readable.from([await source.fetch(firstQuery(options, false), signal)], { objectMode: false });
}
