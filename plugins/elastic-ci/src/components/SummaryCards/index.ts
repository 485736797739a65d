export { SummaryCards } from './SummaryCards.js';
