import { useTheme } from '@material-ui/core/styles';

/** Props of a small chart's axes, in the chart's SVG user units. */
export interface ChartAxesProps {
  width: number;
  height: number;
  pad: { left: number; right: number };
  /** The values that get a horizontal grid line and a label on the left. */
  ticks: number[];
  /** Where a value sits vertically (SVG y). */
  y: (value: number) => number;
  formatTick: (value: number) => string;
  /** The labels under the left and right ends of the x axis. */
  first: string;
  last: string;
}

/** The grid lines with their value labels and the two x-axis end labels every panel chart of the tab draws. */
export function ChartAxes({ width, height, pad, ticks, y, formatTick, first, last }: ChartAxesProps) {
  const theme = useTheme();
  return (
    <>
      {ticks.map((tick) => (
        <g key={tick}>
          <line x1={pad.left} x2={width - pad.right} y1={y(tick)} y2={y(tick)} stroke={theme.palette.divider} />
          <text x={pad.left - 6} y={y(tick) + 4} textAnchor="end" fill={theme.palette.text.secondary}>
            {formatTick(tick)}
          </text>
        </g>
      ))}
      <text x={pad.left} y={height - 8} fill={theme.palette.text.secondary}>
        {first}
      </text>
      <text x={width - pad.right} y={height - 8} textAnchor="end" fill={theme.palette.text.secondary}>
        {last}
      </text>
    </>
  );
}
