/**
 * Host tools the local container engine needs, each with the Debian package that provides it, so a missing one is
 * reported as one actionable line ("apt-get install ...") instead of a spawn ENOENT stack trace.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { MissingTool } from '@eci-virtual/contract';

/** Tool → Debian bookworm package. Keep in sync with install-deps.sh. */
export const TOOL_PACKAGES = {
  podman: 'podman',
  runc: 'runc',
  conmon: 'conmon',
  netavark: 'netavark',
  'docker-registry': 'docker-registry',
  skopeo: 'skopeo',
  umoci: 'umoci',
  buildah: 'buildah',
  debootstrap: 'debootstrap',
  busybox: 'busybox-static',
  tar: 'tar',
} as const;

export type Tool = keyof typeof TOOL_PACKAGES;

/** Some tools live outside PATH (conmon and netavark are helper binaries of podman). */
const EXTRA_DIRS = ['/usr/sbin', '/sbin', '/usr/libexec/podman', '/usr/lib/podman'];

export function findTool(tool: Tool): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, tool);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/** Throws one MissingTool naming every absent tool and the single apt-get line that installs them all. */
export function requireTools(tools: readonly Tool[], purpose: string): void {
  const missing = tools.filter((t) => findTool(t) === undefined);
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((t) => TOOL_PACKAGES[t]))];
  throw new MissingTool(`${missing.join(', ')} not found (needed to ${purpose})`, {
    hint: `apt-get install -y ${packages.join(' ')}, or run runner/scripts/install-deps.sh`,
  });
}
