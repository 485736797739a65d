/**
 * Renders the engine's config files. Podman 4.3 (Debian bookworm) honours CONTAINERS_CONF (which replaces every
 * system containers.conf, drop-ins included — CONTAINERS_CONF_OVERRIDE only arrived in 4.4), CONTAINERS_STORAGE_CONF
 * and CONTAINERS_REGISTRIES_CONF; the registry gets its own config because the packaged one turns on password auth.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { layout, podRegistryAddress, registryAddress, registryPort } from './engine-layout.js';

/** TOML basic strings accept JSON's escapes, so JSON.stringify quotes paths safely. */
const q = (s: string) => JSON.stringify(s);
const list = (items: string[]) => `[${items.map(q).join(', ')}]`;

export function containersConf(): string {
  return `# Written by \`yarn engine up\`; edits are overwritten. Used through CONTAINERS_CONF.
[containers]
# Without lower limits every container fails to start on these machines (the inherited nofile/nproc are too high).
default_ulimits = ${list(['nofile=1024:1024', 'nproc=4096:4096'])}
# The machine has no journald; the file-based driver also lets \`podman logs\` work without one.
log_driver = "k8s-file"
# Debian's /usr/share/containers/containers.conf sets these; CONTAINERS_CONF replaces that file, so repeat them.
default_capabilities = ${list(['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT'])}
default_sysctls = ${list(['net.ipv4.ping_group_range=0 0'])}

[engine]
# crun fails here ("cgroups in hybrid mode not supported"); runc works with the hybrid cgroup v1 layout.
runtime = "runc"
# No systemd as PID 1 on these machines.
cgroup_manager = "cgroupfs"
events_logger = "file"
# File locks under tmp_dir instead of the machine-wide /dev/shm/libpod_lock segment, which a system Podman shares
# (a state refresh of one engine would free the other's locks).
lock_type = "file"
events_logfile_path = ${q(join(layout.runDir, 'events', 'events.log'))}
tmp_dir = ${q(join(layout.runDir, 'libpod'))}
# Keep libpod's database and volumes inside our own store, not the machine's /var/lib/containers.
static_dir = ${q(join(layout.graphRoot, 'libpod'))}
volume_path = ${q(join(layout.graphRoot, 'volumes'))}

[network]
network_backend = "netavark"
network_config_dir = ${q(layout.networksDir)}
`;
}

export function storageConf(rootless: boolean): string {
  // As root the kernel's overlayfs works on ext4; a non-root user needs the FUSE implementation.
  const overlay = rootless ? `\n[storage.options.overlay]\nmount_program = "/usr/bin/fuse-overlayfs"\n` : '';
  return `# Written by \`yarn engine up\`; used through CONTAINERS_STORAGE_CONF.
[storage]
driver = "overlay"
graphroot = ${q(layout.graphRoot)}
runroot = ${q(join(layout.runDir, 'storage'))}
${overlay}`;
}

export function registriesConf(): string {
  return `# Written by \`yarn engine up\`; used through CONTAINERS_REGISTRIES_CONF.
# Unqualified names resolve to docker.io as with Docker (the Docker-compatible API expects that).
unqualified-search-registries = ["docker.io"]
short-name-mode = "permissive"

# The local test registry speaks plain HTTP, under both its names: the host's and the pods' (images built in pods).
[[registry]]
location = ${q(registryAddress())}
insecure = true

[[registry]]
location = ${q(podRegistryAddress())}
insecure = true
`;
}

function registryYaml(secret: string): string {
  return `# Written by \`yarn engine up\`. No auth, plain HTTP, for tests only.
version: 0.1
log:
  level: warn
  formatter: text
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: ${JSON.stringify(layout.registryData)}
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  # All addresses, not only loopback: pods on the engine's bridge reach it as ${podRegistryAddress()} (in-pod builds).
  # That also exposes it on the host's other interfaces; the machine's firewall is what keeps it local.
  addr: 0.0.0.0:${registryPort()}
  secret: ${secret}
  headers:
    X-Content-Type-Options: [nosniff]
`;
}

/** Writes `content` if it differs; returns whether the file changed (a running process then needs a restart). */
function writeIfChanged(path: string, content: string): boolean {
  if (existsSync(path) && readFileSync(path, 'utf8') === content) return false;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  return true;
}

export interface ConfigChanges {
  podman: boolean;
  registry: boolean;
}

export function writeEngineConfig(): ConfigChanges {
  const rootless = process.getuid?.() !== 0;
  const podman = [
    writeIfChanged(layout.containersConf, containersConf()),
    writeIfChanged(layout.storageConf, storageConf(rootless)),
    writeIfChanged(layout.registriesConf, registriesConf()),
  ].some(Boolean);
  // The registry's HTTP secret only signs upload state; keep the existing one so the file does not change every run.
  const existing = existsSync(layout.registryConf)
    ? /^\s*secret: (\S+)$/m.exec(readFileSync(layout.registryConf, 'utf8'))?.[1]
    : undefined;
  const registry = writeIfChanged(layout.registryConf, registryYaml(existing ?? randomBytes(16).toString('hex')));
  return { podman, registry };
}
