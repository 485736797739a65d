export { CostPerDayPanel, type CostPerDayPanelProps } from './CostPerDayPanel.js';
