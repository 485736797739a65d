/**
 * Container logs over DescribeContainerLog, which has no follow mode and answers at most one page: the newest `Tail`
 * lines (default 500, at most 2000 — so every call asks for 2000) and at most 1 MB. `kubectl logs -f` is emulated by
 * polling with timestamps. Each poll asks from the second of the last line seen (StartTime), drops what was already
 * delivered — every line older than the last one, and as many lines stamped exactly like it as were already sent —
 * so the output has no duplicates; polling from that second on (not after it) means no gaps while a page holds
 * everything written since the last poll.
 *
 * A page keeps the newest lines and there is no parameter to page forward from StartTime, so lines are lost only if
 * more than a page is written between two polls. To keep that from happening the follower polls again at once (still
 * paced by the client's rate limiter) after a busy page — half the line or byte cap — as long as polls bring new
 * lines, and sleeps `intervalMs` otherwise. If a page overflows anyway, the loss is detected (the page no longer
 * reaches back to the last line delivered) and logged with the missing time range. The stream ends when the
 * container has terminated (after one last poll) or `signal` aborts.
 */
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidInput } from '@eci-virtual/contract';
import type { Logger } from '../../../observability/logger.js';
import type { LogOptions } from '../backend.js';
import type { ParamValue } from './eci-client.js';

/** DescribeContainerLog's per-call cap on lines (its largest `Tail`). */
export const LOG_LINE_CAP = 2000;
/** DescribeContainerLog's per-call cap on bytes (also the largest `LimitBytes`). */
export const LOG_BYTE_CAP = 1024 * 1024;

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
    // Without Tail ECI answers only the newest 500 lines; 2000 is the most it gives.
    Tail: Math.min(options.tailLines ?? LOG_LINE_CAP, LOG_LINE_CAP),
    SinceSeconds: options.sinceSeconds,
    StartTime: options.sinceTime?.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    LimitBytes: follow || options.limitBytes === undefined ? undefined : Math.min(options.limitBytes, LOG_BYTE_CAP),
  };
}

/** A page this full means output comes fast enough that waiting `intervalMs` could overflow the next one. */
const busy = (lineCount: number, bytes: number) => lineCount >= LOG_LINE_CAP / 2 || bytes >= LOG_BYTE_CAP / 2;

export function followLogs(
  source: LogSource,
  options: LogOptions,
  signal: AbortSignal,
  opts: { intervalMs: number; log: Logger },
): Readable {
  async function* run(): AsyncGenerator<string> {
    let lastKey: string | undefined;
    let lastStamp: string | undefined;
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
      const batch = lines(content).map((raw) => ({ raw, ...splitStamp(raw) }));
      const stamped = batch.filter((l) => l.key !== undefined);
      // A page that holds everything since StartTime starts at (or before) the last line delivered; one that starts
      // after it was cut at its old end.
      const oldest = stamped[0];
      if (lastKey !== undefined && oldest && oldest.key! > lastKey)
        opts.log.warn('log output outran DescribeContainerLog polling; lines between these times are missing', {
          after: lastStamp,
          before: oldest.stamp,
          pageLines: batch.length,
        });
      let out = '';
      let fresh = 0;
      for (const line of batch) {
        if (line.key !== undefined && lastKey !== undefined) {
          if (line.key < lastKey) continue;
          if (line.key === lastKey && atLast > 0) {
            atLast--; // already delivered in an earlier poll
            continue;
          }
        }
        fresh++;
        out += `${options.timestamps || !line.stamp ? line.raw : line.text}\n`;
      }
      // The cursor: the newest stamp and how many lines carry it (all delivered by now).
      const newest = stamped.at(-1);
      if (newest !== undefined) {
        lastKey = newest.key;
        lastStamp = newest.stamp;
        atLast = stamped.filter((l) => l.key === newest.key).length;
        query = { Timestamps: true, Tail: LOG_LINE_CAP, StartTime: `${newest.key!.slice(0, 19)}Z` };
      }
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
      // Poll again at once after a busy page that brought new lines; a busy page with nothing new (say, over a
      // thousand lines within the cursor's second) waits, so the loop cannot spin.
      if (!(fresh > 0 && busy(batch.length, Buffer.byteLength(content))))
        await sleep(opts.intervalMs, undefined, { signal }).catch(() => undefined);
    }
  }
  return Readable.from(run(), { objectMode: false });
}

/** Non-follow logs: one call, as the user asked. */
export async function readLogs(source: LogSource, options: LogOptions, signal: AbortSignal): Promise<Readable> {
  return Readable.from([await source.fetch(firstQuery(options, false), signal)], { objectMode: false });
}
