/**
 * PostgreSQL through `pg` (pure JavaScript): a small pool; BIGINT and NUMERIC come back as strings, which the store
 * converts where it reads them (history-queries.ts), so nothing here guesses at precision.
 */
import pg from 'pg';
import type { Row, SqlDriver, SqlValue } from './sql-driver.js';

export interface PostgresOptions {
  /** A libpq connection string (`postgres://user@host:5432/db`, or `postgresql:///db?host=/socket/dir`). */
  connectionString: string;
  /** Read from a Secret (env or mounted file), never from the config map. */
  password?: string;
  maxConnections?: number;
  /** Per statement, ms. */
  statementTimeoutMs?: number;
}

export class PostgresDriver implements SqlDriver {
  readonly dialect = 'postgres' as const;

  private constructor(private readonly pool: pg.Pool) {}

  static open(o: PostgresOptions): PostgresDriver {
    const pool = new pg.Pool({
      connectionString: o.connectionString,
      ...(o.password !== undefined ? { password: o.password } : {}),
      max: o.maxConnections ?? 5,
      statement_timeout: o.statementTimeoutMs ?? 10_000,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
    });
    // An idle client whose server went away emits 'error' on the pool; the next query reconnects.
    pool.on('error', () => undefined);
    return new PostgresDriver(pool);
  }

  async query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return (await this.pool.query(sql, params as SqlValue[])).rows as T[];
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return (await this.pool.query(sql, params as SqlValue[])).rowCount ?? 0;
  }

  async transaction<T>(fn: (tx: Pick<SqlDriver, 'query' | 'run' | 'dialect'>) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const out = await fn({
        dialect: 'postgres',
        query: async <R extends Row>(sql: string, params: readonly SqlValue[] = []) =>
          (await client.query(sql, params as SqlValue[])).rows as R[],
        run: async (sql, params = []) => (await client.query(sql, params as SqlValue[])).rowCount ?? 0,
      });
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
