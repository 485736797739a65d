/**
 * The controller's one registry client (registry/client.ts) for a configuration, made on first use so its cache is
 * shared by every launch. Pull credentials come from `registries.credentialsFile` (a Docker config.json from a
 * mounted Secret), read again at each lookup so a rotated Secret is picked up; an unreadable file means anonymous.
 */
import { readDockerConfig } from '../../registry/auth.js';
import { RegistryClient, type Platform } from '../../registry/client.js';
import type { ControllerConfig } from '../config.js';

const clients = new WeakMap<NonNullable<ControllerConfig['registries']>, RegistryClient>();
const NONE: NonNullable<ControllerConfig['registries']> = { insecure: [] };

export function registryFor(config: Pick<ControllerConfig, 'registries'>): RegistryClient {
  const r = config.registries ?? NONE;
  let client = clients.get(r);
  if (!client) {
    const [os, architecture, variant] = r.platform?.split('/') ?? [];
    const platform: Platform | undefined =
      os && architecture ? { os, architecture, ...(variant ? { variant } : {}) } : undefined;
    const file = r.credentialsFile;
    client = new RegistryClient({
      insecure: r.insecure,
      ...(platform ? { platform } : {}),
      ...(file
        ? {
            credentials: (registry: string) => {
              try {
                return readDockerConfig(file)(registry);
              } catch {
                return undefined;
              }
            },
          }
        : {}),
    });
    clients.set(r, client);
  }
  return client;
}
