/**
 * `eci-virtual/idle:latest`: the busybox test image whose default command idles until SIGTERM and then exits 0 at
 * once (PID 1 gets no default signal handling, so the trap is what makes a graceful delete quick). Test suites
 * written for other kubelets create pods from images without a command (the upstream virtual-kubelet e2e suite uses
 * `foo`, `bar`, `baz`); the image-alias engine (image-alias-engine.ts) serves those names from this image.
 */
import { busybox } from '../../scripts/images/busybox.js';
import type { ImageRecipe } from '../../scripts/images/recipe.js';
import { ensureBuilt, ensurePushed } from '../../scripts/lib/image-cache.js';

export const idle: ImageRecipe = {
  ...busybox,
  name: 'idle',
  repository: 'eci-virtual/idle',
  tag: 'latest',
  // `wait` returns as soon as a trapped signal arrives; a foreground `sleep` would hold the trap until it ends.
  config: { ...busybox.config, cmd: ['sh', '-c', "trap 'exit 0' TERM INT; sleep 2147483647 & wait"] },
  async inputs() {
    return { ...(await busybox.inputs.call(this)), idleRevision: 1 };
  },
};

/** Builds (once per recipe hash) and pushes the image; returns its reference in the local registry. */
export async function ensureIdleImage(log: (msg: string) => void = () => undefined): Promise<string> {
  const image = await ensureBuilt(idle, log);
  await ensurePushed(image, log);
  return image.reference;
}
