/**
 * What each `services:` container runs by default, read from its image's config in the registry when the controller
 * builds the pod (registry/client.ts): the image's ENTRYPOINT and CMD, which the container's agent holds until
 * prepare_job starts them with the runner's evaluated env. A service whose config cannot be read (registry
 * unreachable, private without credentials, no manifest for the platform) is not held: it runs its image's command
 * as before, with only the workflow's literal env values (never an expression's), and `problems` says so for the
 * job record and a pod event. Never fails the job.
 */
import { describeError } from '@eci-virtual/contract';
import type { ImageConfig } from '../../registry/client.js';

export interface ImageConfigSource {
  imageConfig(image: string, signal?: AbortSignal): Promise<ImageConfig>;
}

export interface ServiceCommands {
  /** By service name (`services.<name>`): the image's ENTRYPOINT and CMD. */
  held: Record<string, { entrypoint: string[]; cmd: string[] }>;
  /** One line per service that is not held, naming it, its image and why. */
  problems: string[];
}

/** All images are read in parallel, within `timeoutMs` altogether (default 20 s). */
export async function resolveServiceCommands(
  registry: ImageConfigSource,
  services: readonly { name: string; image: string }[],
  timeoutMs = 20_000,
): Promise<ServiceCommands> {
  const out: ServiceCommands = { held: {}, problems: [] };
  const signal = AbortSignal.timeout(timeoutMs);
  // A failure that came before the deadline is the registry's answer; one after it, the deadline's.
  const results = await Promise.allSettled(
    services.map((s) =>
      registry.imageConfig(s.image, signal).catch((err: unknown) => {
        throw new Error(signal.aborted ? `no answer within ${timeoutMs / 1000} s` : describeError(err));
      }),
    ),
  );
  results.forEach((r, i) => {
    const s = services[i]!;
    if (r.status === 'fulfilled') out.held[s.name] = { entrypoint: r.value.entrypoint, cmd: r.value.cmd };
    else
      out.problems.push(
        `services.${s.name}: cannot read the config of ${s.image} (${(r.reason as Error).message}); ` +
          'it runs its image command without the agent, with only literal env values (none from expressions or secrets)',
      );
  });
  return out;
}

const EXPR = /\$\{\{/;

/** The env a service that is not held may carry in its spec: values written literally in the workflow. */
export const literalEnv = (env: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(env).filter(([, v]) => !EXPR.test(v)));
