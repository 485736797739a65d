/**
 * The controller's record store: the job history database with ConfigMaps as its write-ahead (history-records.ts),
 * or, when no database could be opened, the ConfigMaps alone (job-records.ts) as before the database existed.
 */
import type { KubeClients } from '../../kube/client.js';
import type { Logger } from '../../observability/logger.js';
import type { ControllerConfig } from '../config.js';
import type { JobHistoryStore } from '../history/job-history-store.js';
import { HistoryRecords } from './history-records.js';
import { JobRecords } from './job-records.js';
import type { JobRecordStore } from './stored-job.js';

export interface RecordStoreDeps {
  config: ControllerConfig;
  kube: KubeClients;
  log: Logger;
  /** The opened job history; undefined: ConfigMaps only. */
  history?: JobHistoryStore | undefined;
}

/** `soleWriter`: the store of a leader's term, the only one writing records while it lives. */
export function recordStore(
  deps: RecordStoreDeps,
  soleWriter = false,
): JobRecordStore & { drain?: () => Promise<void>; stop?: () => void } {
  const configMaps = new JobRecords(deps.kube, deps.config.namespace, deps.config.recordsTtlDays, deps.log);
  if (!deps.history) return configMaps;
  return new HistoryRecords(deps.history, configMaps, deps.config.history.retentionDays, deps.log, soleWriter);
}
