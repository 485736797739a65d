/**
 * A throw-away PostgreSQL server for tests and `yarn bench portal`: `initdb` into a temp dir, `postgres` on a random
 * loopback port with its unix socket in that dir, trust authentication for the one local user; `stop()` shuts it
 * down and removes everything. The binaries come from Debian's `postgresql` package (runner/scripts/install-deps.sh):
 * /usr/lib/postgresql/<major>/bin or the PATH. PostgreSQL refuses to run as root, so as root the server runs as the
 * `postgres` user that package creates (through `runuser`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from './until.js';

export interface PostgresServer {
  /** `postgresql://<user>@127.0.0.1:<port>/postgres`, no password needed. */
  url: string;
  /** The same database over the unix socket in the temp dir. */
  socketUrl: string;
  port: number;
  /** A fresh empty database; returns its URL (over TCP). */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** The directory holding initdb and postgres, or undefined when PostgreSQL is not installed. */
export function postgresBinDir(): string | undefined {
  const versions = existsSync('/usr/lib/postgresql')
    ? readdirSync('/usr/lib/postgresql')
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  for (const v of versions)
    if (existsSync(`/usr/lib/postgresql/${v}/bin/initdb`)) return `/usr/lib/postgresql/${v}/bin`;
  const which = spawnSync('sh', ['-c', 'command -v initdb'], { encoding: 'utf8' });
  const found = which.stdout.trim();
  return which.status === 0 && found ? found.replace(/\/initdb$/, '') : undefined;
}

/** Why PostgreSQL tests cannot run here (a message for a skip), or undefined when they can. */
export function postgresUnavailable(): string | undefined {
  if (!postgresBinDir())
    return 'PostgreSQL is not installed (initdb not found): run runner/scripts/install-deps.sh (Debian package postgresql)';
  if (process.getuid?.() === 0 && spawnSync('id', ['-u', 'postgres']).status !== 0)
    return 'running as root without a postgres user to run the server as';
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const why = postgresUnavailable();
  if (!bin || why) throw new Error(why ?? 'PostgreSQL is not installed');
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? 'postgres' : (process.env.USER ?? 'postgres');
  const dir = mkdtempSync(join(tmpdir(), 'eci-pg-'));
  const data = join(dir, 'data');
  if (asRoot) {
    const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
    chownSync(dir, uid, gid);
  }
  const cmd = (file: string, args: string[]): [string, string[]] =>
    asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, file), ...args]] : [join(bin, file), args];
  const [initCmd, initArgs] = cmd('initdb', ['-D', data, '-U', user, '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const init = spawnSync(initCmd, initArgs, { encoding: 'utf8', cwd: dir });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  }
  const port = await freePort();
  const [pgCmd, pgArgs] = cmd('postgres', [
    '-D',
    data,
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'fsync=off',
    '-c',
    'shared_buffers=64MB',
  ]);
  const child: ChildProcess = spawn(pgCmd, pgArgs, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `postgresql://${user}@127.0.0.1:${port}/postgres`;
  const psql = (sql: string, db = 'postgres') =>
    spawnSync(join(bin, 'psql'), ['-h', '127.0.0.1', '-p', String(port), '-U', user, '-d', db, '-Atc', sql], {
      encoding: 'utf8',
    });
  try {
    await until(async () => {
      if (child.exitCode !== null) throw new Error(`postgres exited: ${log}`);
      const r = psql('SELECT 1');
      if (r.status !== 0) throw new Error(r.stderr);
    }, 30_000);
  } catch (err) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    url,
    socketUrl: `postgresql://${user}@/postgres?host=${encodeURIComponent(dir)}&port=${port}`,
    port,
    async createDatabase(name: string) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
      const r = psql(`CREATE DATABASE ${name}`);
      if (r.status !== 0) throw new Error(`CREATE DATABASE ${name}: ${r.stderr}`);
      return `postgresql://${user}@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      // SIGINT: PostgreSQL's "fast" shutdown (disconnect clients, stop without waiting).
      if (child.exitCode === null) child.kill('SIGINT');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 10_000)))]);
      clearTimeout(timer);
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
