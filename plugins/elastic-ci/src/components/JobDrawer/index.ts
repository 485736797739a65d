export { JobDrawer, buildTimeline } from './JobDrawer';
