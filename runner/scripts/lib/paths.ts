/** Where the project's local state and caches live. State is per checkout (gitignored), caches are per user. */
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is runner/scripts/lib/paths.ts). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** Per-checkout state: kubeconfigs, pid files, logs, data dirs. */
export const localDir = process.env.ECI_VIRTUAL_LOCAL_DIR ?? join(repoRoot, '.local');
/** Per-user build cache (binaries, images) shared by every checkout and by CI on the same machine. */
export const cacheDir = process.env.ECI_VIRTUAL_CACHE ?? join(homedir(), '.cache', 'eci-virtual');
export const scriptsDir = join(repoRoot, 'runner', 'scripts');

/**
 * The host as containers on the engine's default bridge network see it (Podman's `podman0` gateway). Services that
 * pods must reach (the API server, GitHub/ECI emulators, the registry for in-pod builds) listen on it too.
 */
export const podHostAddress = process.env.ECI_VIRTUAL_POD_HOST ?? '10.88.0.1';
