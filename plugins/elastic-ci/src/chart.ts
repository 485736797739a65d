// Small helpers the tab's plain-SVG charts share (no chart library: the figures are few and computed upstream).

const DAY_MS = 86_400_000;

/** 1, 2 or 5 × a power of ten, at least `value` (and > 0): a round top for a chart's value axis. */
export function niceCeiling(value: number): number {
  if (!(value > 0)) return 1000;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}

/** The UTC days (`YYYY-MM-DD`) of the window [from, to), oldest first; empty when the bounds are not times. */
export function windowDays(from: string, to: string): string[] {
  const start = Date.parse(from);
  const end = Date.parse(to);
  if (Number.isNaN(start) || Number.isNaN(end)) return [];
  const days: string[] = [];
  for (let t = Math.floor(start / DAY_MS) * DAY_MS; t < end; t += DAY_MS) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}

/** The size and padding of a panel's small chart (cost per day, queue-time trends), in SVG user units. */
export const PANEL_CHART = { width: 480, height: 180, pad: { left: 64, right: 8, top: 8, bottom: 28 } } as const;
