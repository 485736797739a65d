/** A job reporter that discards everything: benchmarks time the engine, not the rendering. */
import type { JobReporter } from '../../src/local-run/reporter.js';

export const quietReporter: JobReporter = {
  jobStarted: () => undefined,
  podScheduled: () => undefined,
  podRunning: () => undefined,
  stepStarted: () => undefined,
  stepLine: () => undefined,
  stepFinished: () => undefined,
  jobFinished: () => undefined,
  warn: () => undefined,
};
