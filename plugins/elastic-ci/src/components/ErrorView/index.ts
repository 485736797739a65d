export { ErrorView } from './ErrorView.js';
