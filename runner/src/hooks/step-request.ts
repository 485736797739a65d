/** What a hook step is, whichever way it reaches its container (hook-step.ts). */
import type { Symlink } from '../step-transport/agent/protocol.js';

export interface HookStep {
  /** Run with execve in the container: argv[0] looked up on PATH, no shell. */
  argv: string[];
  /** Put on top of the container's own environment. */
  env: Record<string, string>;
  /** Newest first, as the runner sends it: joined in this order in front of the container's PATH. */
  prependPath: string[];
  workingDir?: string;
  symlinks?: Symlink[];
}

export interface StepTarget {
  container: string;
  /** The container serves the step agent (servesAgent of its pod spec). */
  agent: boolean;
}
