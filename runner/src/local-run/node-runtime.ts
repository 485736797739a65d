/**
 * The Node.js runtime a job pod brings along for JavaScript actions, as the runner brings its externals
 * (`externals/node20/bin/node`, mounted at /__e in job containers: src/Runner.Worker/Container/ContainerInfo.cs): an
 * init container copies it onto an emptyDir mounted at PATHS.externals in the job container, so a job image without
 * node (busybox, debian) runs a JavaScript action. The runtime carries its own C library and loader, so the image's
 * libc does not matter (scripts/images/node-runtime.ts builds it).
 */
import { PATHS } from '@eci-virtual/contract';

/** The node entry point in the job container (a launcher that runs node with the runtime's own loader). */
export const NODE_RUNTIME_BIN = `${PATHS.externals}/node/bin/node`;
