/**
 * SQLite through node-sqlite3-wasm: SQLite compiled to WebAssembly, reading and writing one database file through
 * Node's `fs` (no native addon, so nothing to compile or download at install time, and the controller image stays a
 * bundle plus the package's .wasm). One connection per process; calls are synchronous underneath, so statements
 * never interleave, and a transaction's callback holds a queue that other transactions wait on.
 *
 * One process owns the file (the chart runs one replica with the SQLite driver): it records itself in
 * `<file>.owner` (pid and host). The package's own lock is a `<file>.lock` directory that exists while a statement
 * runs, and a process killed mid-statement leaves it behind, locking everyone out; so at open a new owner removes it.
 * A file owned by another live process of this host is refused (Unavailable). An owner on another host is taken to
 * be gone: the chart's Recreate strategy stops the old pod before the new one starts.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Unavailable } from '@eci-virtual/contract';
import type { Row, SqlDriver, SqlValue } from './sql-driver.js';
import { toSqlitePlaceholders } from './sql-driver.js';

/** Another process holding the file (a second replica during a hand-over): retry this long, then give up. */
const BUSY_RETRY_MS = 5_000;

interface WasmStatement {
  all(values?: readonly SqlValue[]): Row[];
  run(values?: readonly SqlValue[]): { changes: number };
  finalize(): void;
}
interface WasmDatabase {
  exec(sql: string): void;
  prepare(sql: string): WasmStatement;
  close(): void;
}

function loadDatabase(): new (path: string) => WasmDatabase {
  // CommonJS with its .wasm beside it: loaded at run time (kept out of the esbuild bundle, see scripts/bundle.mjs).
  const require = createRequire(import.meta.url);
  return (require('node-sqlite3-wasm') as { Database: new (path: string) => WasmDatabase }).Database;
}

const isBusy = (err: unknown) => /database is locked|SQLITE_BUSY/i.test((err as Error).message ?? '');

export class SqliteDriver implements SqlDriver {
  readonly dialect = 'sqlite' as const;
  private readonly statements = new Map<string, WasmStatement>();
  private queue: Promise<unknown> = Promise.resolve();
  private inTransaction = false;

  private constructor(
    private readonly db: WasmDatabase,
    private readonly owner: string | undefined,
  ) {}

  /** Opens (creating it and its folder when missing) the database file; `:memory:` for a throw-away one. */
  static open(path: string): SqliteDriver {
    const owner = path === ':memory:' ? undefined : `${path}.owner`;
    if (owner) {
      mkdirSync(dirname(path), { recursive: true });
      claim(owner, path);
      rmSync(`${path}.lock`, { recursive: true, force: true });
    }
    const Database = loadDatabase();
    let db: WasmDatabase;
    try {
      db = new Database(path);
    } catch (err) {
      throw new Unavailable(`cannot open the SQLite job history at ${path}: ${(err as Error).message}`, {
        cause: err,
        hint: 'the folder must be writable (the chart mounts a volume at history.sqlite.path)',
      });
    }
    // No WAL: it needs shared memory, which the WebAssembly build has not; a rollback journal is the safe default.
    db.exec('PRAGMA journal_mode = TRUNCATE; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;');
    return new SqliteDriver(db, owner);
  }

  async query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    if (!this.inTransaction) await this.queue;
    return this.retryBusy(() => this.statement(sql).all(params) as T[]);
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    if (!this.inTransaction) await this.queue;
    return this.retryBusy(() => this.statement(sql).run(params).changes);
  }

  transaction<T>(fn: (tx: Pick<SqlDriver, 'query' | 'run' | 'dialect'>) => Promise<T>): Promise<T> {
    const next = this.queue.then(async () => {
      await this.retryBusy(() => this.db.exec('BEGIN IMMEDIATE'));
      this.inTransaction = true;
      try {
        const out = await fn(this);
        this.db.exec('COMMIT');
        return out;
      } catch (err) {
        this.db.exec('ROLLBACK');
        throw err;
      } finally {
        this.inTransaction = false;
      }
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.queue;
    for (const s of this.statements.values()) s.finalize();
    this.statements.clear();
    this.db.close();
    if (this.owner && ownerOf(this.owner)?.pid === process.pid) rmSync(this.owner, { force: true });
  }

  private statement(sql: string): WasmStatement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(toSqlitePlaceholders(sql));
      this.statements.set(sql, s);
    }
    return s;
  }

  private async retryBusy<T>(fn: () => T): Promise<T> {
    const deadline = Date.now() + BUSY_RETRY_MS;
    for (;;) {
      try {
        return fn();
      } catch (err) {
        if (!isBusy(err) || Date.now() > deadline) throw err;
        await sleep(25);
      }
    }
  }
}

interface Owner {
  pid: number;
  host: string;
}

function ownerOf(file: string): Owner | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Owner;
  } catch {
    return undefined;
  }
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

function claim(file: string, db: string): void {
  const me: Owner = { pid: process.pid, host: hostname() };
  const current = ownerOf(file);
  if (current && current.host === me.host && current.pid !== me.pid && alive(current.pid))
    throw new Unavailable(`the SQLite job history ${db} is in use by process ${current.pid}`, {
      hint: 'one controller replica owns a SQLite history; run several replicas with history.driver postgres',
    });
  writeFileSync(`${file}.tmp`, JSON.stringify(me));
  renameSync(`${file}.tmp`, file);
}
