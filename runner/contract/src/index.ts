/**
 * @eci-virtual/contract — what the parts of eci-virtual that are deployed apart agree on: the controller, the
 * virtual node, the container hooks, the composite actions and the Backstage plugin. Keys, container names, paths,
 * the virtual node's label and taint, the cache-images format, the shared error vocabulary and the portal API's wire
 * types live here and nowhere else; everything imports them by name:
 *
 *   import { ANNOTATION, CONTAINER, labelValue } from '@eci-virtual/contract';
 *
 * Pure: no I/O, no dependencies (the plugin bundles it for the browser).
 */
export * from './agent.js';
export * from './cache-images.js';
export * from './errors.js';
export * from './kaniko-base.js';
export * from './keys.js';
export * from './label-value.js';
export * from './pod-facts.js';
export * from './pod-layout.js';
export * from './portal.js';
export * from './shell-quote.js';
export * from './spool-agent.js';
export * from './spot.js';
export * from './virtual-node.js';
export * from './workload.js';
