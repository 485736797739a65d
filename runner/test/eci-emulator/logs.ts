/**
 * DescribeContainerLog's filtering and formatting: StartTime / SinceSeconds select lines by time, Tail keeps the
 * newest N (default 500, at most 2000 — the published values), the answer is capped at 1 MB (again the newest lines
 * are kept, whole), LimitBytes truncates it, and Timestamps prefixes each line with its RFC 3339 time (nanosecond
 * precision, as the kubelet writes it). So a reader that falls more than a page behind loses the oldest lines of the
 * gap: there is no parameter to page forward from StartTime.
 */
import type { LogLine } from './runtime.js';

export const LOG_CAPS = { lines: 2000, bytes: 1024 * 1024, defaultTail: 500 } as const;

export interface LogQuery {
  /** ms since the epoch. */
  startTime?: number;
  sinceSeconds?: number;
  tail?: number;
  limitBytes?: number;
  timestamps: boolean;
}

export const rfc3339Nano = (d: Date): string => d.toISOString().replace(/(\.\d{3})Z$/, '$1000000Z');

export function formatLogs(lines: LogLine[], q: LogQuery, now = Date.now()): string {
  let selected = lines;
  if (q.startTime !== undefined) selected = selected.filter((l) => l.time.getTime() >= q.startTime!);
  if (q.sinceSeconds !== undefined) selected = selected.filter((l) => l.time.getTime() >= now - q.sinceSeconds! * 1000);
  const tail = Math.min(q.tail ?? LOG_CAPS.defaultTail, LOG_CAPS.lines);
  selected = tail === 0 ? [] : selected.slice(-tail);
  const out = selected.map((l) => `${q.timestamps ? `${rfc3339Nano(l.time)} ` : ''}${l.text}\n`);
  let bytes = out.reduce((n, l) => n + Buffer.byteLength(l), 0);
  let first = 0;
  while (bytes > LOG_CAPS.bytes) bytes -= Buffer.byteLength(out[first++]!);
  let text = out.slice(first).join('');
  if (q.limitBytes !== undefined) text = Buffer.from(text).subarray(0, q.limitBytes).toString();
  return text;
}
