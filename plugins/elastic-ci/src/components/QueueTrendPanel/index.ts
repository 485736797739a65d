export { QueueTrendPanel, type QueueTrendPanelProps } from './QueueTrendPanel.js';
