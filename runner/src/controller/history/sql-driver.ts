/**
 * The little the history store needs from a SQL database, so one set of queries (history-queries.ts) serves SQLite
 * and PostgreSQL. Statements use PostgreSQL's `$1, $2, …` placeholders; the SQLite driver maps them to `?1, ?2, …`.
 */
export type Dialect = 'sqlite' | 'postgres';

export type SqlValue = string | number | null;
export type Row = Record<string, unknown>;

export interface SqlDriver {
  readonly dialect: Dialect;
  /** Rows of one statement. */
  query<T extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** One statement without rows; returns how many rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /** Runs `fn` in one transaction (committed when it resolves, rolled back when it throws), exclusive of others. */
  transaction<T>(fn: (tx: Pick<SqlDriver, 'query' | 'run' | 'dialect'>) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** `$1` … `$n` → SQLite's numbered `?1` … `?n` (same numbers, so a parameter may be used twice). */
export const toSqlitePlaceholders = (sql: string): string => sql.replace(/\$(\d+)/g, '?$1');
