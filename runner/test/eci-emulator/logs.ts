/**
 * DescribeContainerLog's filtering and formatting: StartTime / SinceSeconds select lines by time, Tail keeps the
 * last N, the answer is capped at 2000 lines and 1 MB (the newest are kept), LimitBytes truncates it, and Timestamps
 * prefixes each line with its RFC 3339 time (nanosecond precision, as the kubelet writes it).
 */
import type { LogLine } from './runtime.js';

export const LOG_CAPS = { lines: 2000, bytes: 1024 * 1024 } as const;

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
  if (q.tail !== undefined) selected = q.tail === 0 ? [] : selected.slice(-q.tail);
  selected = selected.slice(-LOG_CAPS.lines);
  let text = selected.map((l) => `${q.timestamps ? `${rfc3339Nano(l.time)} ` : ''}${l.text}\n`).join('');
  while (Buffer.byteLength(text) > LOG_CAPS.bytes) text = text.slice(text.indexOf('\n') + 1);
  if (q.limitBytes !== undefined) text = Buffer.from(text).subarray(0, q.limitBytes).toString();
  return text;
}
