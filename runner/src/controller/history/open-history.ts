/** The job history the config asks for (`history:` in the controller config), migrated and ready. */
import type { ControllerConfig } from '../config.js';
import type { JobHistoryStore } from './job-history-store.js';
import { PostgresDriver } from './postgres-driver.js';
import { SqlJobHistory } from './sql-job-history.js';
import { SqliteDriver } from './sqlite-driver.js';

export type HistoryConfig = ControllerConfig['history'];

export async function openJobHistory(
  history: HistoryConfig,
  prices: ControllerConfig['prices'],
): Promise<JobHistoryStore> {
  const driver =
    history.driver === 'postgres'
      ? PostgresDriver.open({
          connectionString: history.postgres.url,
          ...(history.postgres.password !== undefined ? { password: history.postgres.password } : {}),
        })
      : SqliteDriver.open(history.sqlite.path);
  try {
    return await SqlJobHistory.open(driver, prices);
  } catch (err) {
    await driver.close().catch(() => undefined);
    throw err;
  }
}

/** Where the history is, for logs: never the password or a URL's credentials. */
export function describeHistory(history: HistoryConfig): Record<string, string> {
  if (history.driver === 'sqlite') return { driver: 'sqlite', path: history.sqlite.path };
  try {
    const u = new URL(history.postgres.url);
    return {
      driver: 'postgres',
      host: u.hostname || (u.searchParams.get('host') ?? ''),
      database: u.pathname.slice(1),
    };
  } catch {
    return { driver: 'postgres' };
  }
}
