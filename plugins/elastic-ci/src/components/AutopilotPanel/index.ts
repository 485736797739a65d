export { AutopilotPanel } from './AutopilotPanel.js';
