/**
 * SQLite through node-sqlite3-wasm: SQLite compiled to WebAssembly, reading and writing one database file through
 * Node's `fs` (no native addon, so nothing to compile or download at install time, and the controller image stays a
 * bundle plus the package's .wasm). One connection per process; calls are synchronous underneath, so statements
 * never interleave, and a transaction's callback holds a queue that other transactions wait on.
 *
 * Several processes may share the file — the chart's controller replicas, one pod each, on the node the volume is
 * attached to: the leader writes, every replica reads for its portal. The package's lock is a `<file>.lock`
 * directory that exists while a statement (or transaction) runs; mkdir is atomic, so it serialises the processes,
 * and SQLite re-reads its cache after every lock it takes, so a reader sees the writer's last commit. A process
 * killed mid-statement leaves the directory behind, locking everyone out: a lock older than STALE_LOCK_MS (no live
 * process holds it that long — statements take milliseconds) is removed by whoever waits on it, and the rollback
 * journal the dead process left is undone by the next reader.
 *
 * Within one pod (one host name) a file is opened by one process at a time: it records itself in `<file>.owner`
 * (pid and host), and a file owned by another live process of the same host is refused (Unavailable).
 */
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Unavailable } from '@eci-virtual/contract';
import type { Row, SqlDriver, SqlValue } from './sql-driver.js';
import { toSqlitePlaceholders } from './sql-driver.js';

/** A lock this old was left by a process killed mid-statement: whoever waits on it removes it. */
export const STALE_LOCK_MS = 10_000;
/** Another process holding the file (the other replica): retry this long (past a stale lock's age), then give up. */
const BUSY_RETRY_MS = STALE_LOCK_MS + 2_000;

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
    private readonly path: string,
  ) {}

  /** Opens (creating it and its folder when missing) the database file; `:memory:` for a throw-away one. */
  static open(path: string): SqliteDriver {
    const owner = path === ':memory:' ? undefined : `${path}.owner`;
    if (owner) {
      mkdirSync(dirname(path), { recursive: true });
      claim(owner, path);
      breakStaleLock(path);
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
    return new SqliteDriver(db, owner, path);
  }

  /**
   * The connection's settings, applied before its first statement with the same busy retry as every statement: a
   * controller restarted after a kill -9 finds the dead process's `<file>.lock` (and its hot journal) and must wait
   * for the lock to go stale rather than give up the history for its whole life.
   * No WAL: it needs shared memory, which the WebAssembly build has not; a rollback journal is the safe default.
   */
  private ready: Promise<void> | undefined;
  private prepared(): Promise<void> {
    this.ready ??= this.retryBusy(() =>
      this.db.exec('PRAGMA journal_mode = TRUNCATE; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;'),
    ).catch((err: unknown) => {
      this.ready = undefined; // the next statement tries again
      throw err;
    });
    return this.ready;
  }

  async query<T extends Row = Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    await this.prepared();
    if (!this.inTransaction) await this.queue;
    return this.retryBusy(() => this.statement(sql).all(params) as T[], sql);
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    await this.prepared();
    if (!this.inTransaction) await this.queue;
    return this.retryBusy(() => this.statement(sql).run(params).changes, sql);
  }

  transaction<T>(fn: (tx: Pick<SqlDriver, 'query' | 'run' | 'dialect'>) => Promise<T>): Promise<T> {
    const next = this.queue.then(async () => {
      await this.prepared();
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

  /**
   * A statement that failed busy keeps that error: resetting it fails ("Could not reset statement"), so it is
   * finalised and prepared afresh on the next try.
   */
  private evict(sql: string): void {
    const s = this.statements.get(sql);
    this.statements.delete(sql);
    try {
      s?.finalize();
    } catch {
      // finalize reports the statement's last error (busy) once more; the statement is gone all the same.
    }
  }

  private async retryBusy<T>(fn: () => T, sql?: string): Promise<T> {
    let deadline = Date.now() + BUSY_RETRY_MS;
    for (;;) {
      try {
        return fn();
      } catch (err) {
        if (!isBusy(err)) throw err;
        if (sql !== undefined) this.evict(sql);
        // A lock left by a dead process: wait until it is stale, remove it, and try again.
        if (this.owner && breakStaleLock(this.path)) deadline = Date.now() + BUSY_RETRY_MS;
        if (Date.now() > deadline) throw err;
        await sleep(25);
      }
    }
  }
}

/** Removes `<db>.lock` when it is older than STALE_LOCK_MS; whether it did. */
export function breakStaleLock(db: string, now = Date.now()): boolean {
  const lock = `${db}.lock`;
  try {
    if (now - statSync(lock).mtimeMs < STALE_LOCK_MS) return false;
    rmSync(lock, { recursive: true, force: true });
    return true;
  } catch {
    return false;
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

/**
 * The pod this process runs in: POD_NAME (the chart sets it from the downward API), else the host name — which is the
 * pod's name in Kubernetes, so both agree there; where several replicas are processes of one machine (the test
 * harness), POD_NAME tells them apart as distinct pods, which the owner check must allow.
 */
export const podIdentity = (): string => process.env.POD_NAME || hostname();

function claim(file: string, db: string): void {
  const me: Owner = { pid: process.pid, host: podIdentity() };
  const current = ownerOf(file);
  if (current && current.host === me.host && current.pid !== me.pid && alive(current.pid))
    throw new Unavailable(`the SQLite job history ${db} is in use by process ${current.pid}`, {
      hint: 'one process per pod opens a SQLite history; stop the other controller process of this pod first',
    });
  writeFileSync(`${file}.tmp`, JSON.stringify(me));
  renameSync(`${file}.tmp`, file);
}
