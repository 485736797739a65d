/**
 * Guards for deleting build trees. debootstrap mounts /proc, /sys and (in some setups) binds /dev into its target;
 * a recursive delete that crossed such a mount would wipe the host's files, so every delete of a rootfs first makes
 * sure nothing is mounted below it.
 */
import { readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { $ } from 'zx';
import { Internal } from '@eci-virtual/contract';

/** Mount points at or below `dir`, deepest first (the order to unmount them in). */
export function mountsUnder(dir: string): string[] {
  const root = resolve(dir);
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    // mountinfo escapes spaces and other specials as octal (\040).
    .map((p) => p.replace(/\\([0-7]{3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8))))
    .filter((p) => p === root || p.startsWith(`${root}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

export async function unmountAll(dir: string): Promise<void> {
  for (const point of mountsUnder(dir)) await $({ quiet: true, nothrow: true })`umount -l ${point}`;
  const left = mountsUnder(dir);
  if (left.length) throw new Internal(`could not unmount ${left.join(', ')}; unmount them by hand before retrying`);
}

/** rm -rf that refuses to run while anything is mounted below `dir`. */
export async function removeTree(dir: string): Promise<void> {
  await unmountAll(dir);
  rmSync(dir, { recursive: true, force: true });
}
