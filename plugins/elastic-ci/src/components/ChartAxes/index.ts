export { ChartAxes, type ChartAxesProps } from './ChartAxes.js';
