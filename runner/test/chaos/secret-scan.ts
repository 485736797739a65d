/**
 * Looks for the chaos run's seeded secret values wherever they must never be: pod specs and annotations, events,
 * ConfigMaps (the controller's job records and webhook deliveries), the controller and node logs, and the step logs
 * as GitHub received them (the runner masks secrets there as `***`). Each (place, secret) found counts once.
 */
import { readFileSync, existsSync } from 'node:fs';
import type { KubeClients } from '../../src/kube/client.js';
import type { EmuJob } from '../github-emulator/state.js';

export class SecretScanner {
  readonly findings = new Set<string>();

  constructor(private readonly secrets: string[]) {}

  scan(where: string, text: string): void {
    for (const s of this.secrets) if (text.includes(s)) this.findings.add(`${where}: ${s}`);
  }

  /** Pods (whole objects: spec, annotations, env), events and ConfigMaps of the namespace, as they are now. */
  async sweepCluster(kube: KubeClients, namespace: string): Promise<void> {
    const [pods, events, configMaps] = await Promise.all([
      kube.core.listNamespacedPod({ namespace }),
      kube.core.listNamespacedEvent({ namespace }),
      kube.core.listNamespacedConfigMap({ namespace }),
    ]);
    for (const p of pods.items) this.scan(`pod/${p.metadata?.name}`, JSON.stringify(p));
    for (const e of events.items) this.scan(`event/${e.metadata?.name}`, JSON.stringify(e));
    for (const c of configMaps.items) this.scan(`configmap/${c.metadata?.name}`, JSON.stringify(c));
  }

  scanFiles(paths: string[]): void {
    for (const p of paths) if (existsSync(p)) this.scan(p, readFileSync(p, 'utf8'));
  }

  scanStepLogs(jobs: EmuJob[]): void {
    for (const j of jobs)
      for (const r of j.results)
        this.scan(`step log ${j.name}/${r.name}`, `${r.log}\n${JSON.stringify(r.outputs ?? {})}`);
  }
}
