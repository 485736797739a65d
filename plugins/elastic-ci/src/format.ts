// Formatting only: every figure comes computed from the controller.

export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return formatSeconds(ms / 1000);
}

export function formatSeconds(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/**
 * US dollars: cents from $0.01 up, four decimals below that (job costs are often fractions of a cent), `<$0.0001`
 * for anything smaller but above zero; a negative amount (a credit) is the same with `-` in front, e.g. `-$0.0035`.
 */
export function formatUsd(usd: number | undefined): string {
  if (usd === undefined || !Number.isFinite(usd)) return '—';
  const magnitude = Math.abs(usd);
  let text: string;
  if (magnitude === 0) text = '$0.00';
  else if (magnitude < 0.0001) text = '<$0.0001';
  // Four decimals while they still read below a cent ($0.009999 is $0.01, not $0.0100).
  else if (magnitude < 0.00995) text = `$${magnitude.toFixed(4)}`;
  else text = `$${magnitude.toFixed(2)}`;
  return usd < 0 ? `-${text}` : text;
}

export function formatShare(share: number | undefined): string {
  if (share === undefined || !Number.isFinite(share)) return '—';
  return `${Math.round(share * 100)}%`;
}

export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function formatTime(iso: string | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}
