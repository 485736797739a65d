export { QueueBar } from './QueueBar.js';
