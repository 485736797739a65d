export { JobsTable, LatencyBreakdown, StatusCell } from './JobsTable.js';
