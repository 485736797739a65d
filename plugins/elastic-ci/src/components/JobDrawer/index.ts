export { JobDrawer, buildTimeline } from './JobDrawer.js';
