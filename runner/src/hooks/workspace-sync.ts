/**
 * Keeps the runner's work folder consistent between the runner's pod (its `_work` emptyDir, `/__w` in job
 * containers) and a workload pod (issue #18: a pod built for the job the runner actually got, whose containers the
 * hooks drive over the pod network), through the agents' `/v1/files` (runner/agent/README.md).
 *
 * What the runner writes before a step and reads after it — from actions/runner's source (src/Runner.Worker/…):
 *
 * - `_temp` (WellKnownDirectory.Temp, mounted at /__w/_temp: ContainerOperationProvider.cs `MountVolume(...Temp)`),
 *   written by the runner before steps:
 *   - step scripts: `ScriptHandler.RunAsync` writes `_temp/<guid>.sh` (`File.WriteAllText(scriptFilePath…)`) and
 *     hands the container path to run_script_step;
 *   - file commands: `FileCommandManager.InitializeFiles` creates, before every step, `_temp/_runner_file_commands/`
 *     `add_path_<guid>`, `set_env_<guid>`, `step_summary_<guid>`, `save_state_<guid>`, `set_output_<guid>` (GITHUB_PATH,
 *     GITHUB_ENV, GITHUB_STEP_SUMMARY, GITHUB_STATE, GITHUB_OUTPUT), possibly with initial contents
 *     (`PopulateInitialContents`), and deletes the previous step's;
 *   - `_temp/_github_home` (HOME=/github/home) and `_temp/_github_workflow/event.json` (GITHUB_EVENT_PATH, written by
 *     `ExecutionContext.WriteWebhookPayload`): ContainerOperationProvider.cs and ContainerActionHandler.cs mount them
 *     at /github/home and /github/workflow (container actions also get `_temp` itself at /github/runner_temp and
 *     `_runner_file_commands` at /github/file_commands).
 *   `TempDirectoryManager.InitializeTempDirectory` empties `_temp` when the job starts.
 * - `_actions` (WellKnownDirectory.Actions, mounted at /__w/_actions): `ActionManager` downloads every action of the
 *   job there (`<owner>/<repo>/<ref>`) before the containers start; JavaScript actions run from it in the job
 *   container, Dockerfile actions are built from it.
 * - `_tool` (WellKnownDirectory.Tools, mounted at /__t, RUNNER_TOOL_CACHE): filled by steps (setup-* actions) in the
 *   workload pod; the runner reads nothing of it. Pushed only so that a tool cache present on the runner's side
 *   (none on a fresh emptyDir) reaches the steps.
 *
 * After each step the runner reads, on its own side:
 * - the file commands (`FileCommandManager.ProcessFiles` reads `_temp/_runner_file_commands/<prefix><guid>`:
 *   outputs, env, path, state, the step summary it uploads) → pull `_temp/_runner_file_commands`;
 * - the workspace (`github.workspace`, `_work/<repo>/<repo>`), which steps write in the workload pod
 *   (actions/checkout runs there): `HashFilesFunction` runs the runner's own node over the runner-side workspace
 *   for `hashFiles()`; `ActionManager` loads local actions (`uses: ./…`, RepositoryType "self") from
 *   `github.workspace`; `AddMatcherCommandExtension` (ActionCommandManager.cs) reads `::add-matcher::` files after
 *   `container.TranslateToHostPath`. The runner evaluates those before the hook for the step is called, so the hook
 *   cannot tell when they are needed: pull the workspace after every step (see {@link SYNC_PLAN}; GET /v1/files has
 *   no incremental mode yet, so this costs a full copy of the workspace per step).
 * Not under `_work`, so not here: the runner's externals (/__e, node for JavaScript actions in containers).
 *
 * Transport: GNU tar, spawned (the runner container has it; hooks are a bundle with no native dependencies). It
 * reads and writes every file kind, long names and modes natively and fast; a tar writer in TypeScript would
 * restate it. Pushes are incremental by a manifest (path → kind, size, mtime, mode, link target) kept in a file on
 * the runner's side: only entries new or changed since the last push to the same remote dir go. Deletions are NOT
 * propagated (a file deleted on the runner's side stays in the workload pod): the runner only deletes in `_temp` —
 * the previous step's file-command files, which have fresh guids, and the whole folder at job start and end, when
 * there is nothing to keep in step. A pull replaces (never writes through) the local entries that the remote tree
 * holds and leaves others alone.
 */
import { spawn } from 'node:child_process';
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Internal } from '@eci-virtual/contract';
import type { AgentClient } from '../step-transport/agent/client.js';
import type { FilesResult } from '../step-transport/agent/protocol.js';

/** Stands for the job's workspace (`github.workspace`, relative to the work folder) in {@link SYNC_PLAN}. */
export const WORKSPACE = '<workspace>';

export interface SyncItem {
  /** Relative to the runner's work folder (`_work` here, `/__w` in the workload pod), or {@link WORKSPACE}. */
  path: string;
  /** push: runner's pod → workload pod (pushTree, incremental); pull: back (pullTree). */
  direction: 'push' | 'pull';
  /** When: before every step (and so before the first), or after every step, before the hook returns. */
  when: 'before-step' | 'after-step';
  /** Relative to `path`: left out of a push (pushTree's `exclude`). */
  exclude?: string[];
  /** What the runner does with it (actions/runner source). */
  why: string;
}

/** The folders the hooks keep consistent, in the order to sync them (see the header for the sources). */
export const SYNC_PLAN: readonly SyncItem[] = [
  {
    path: '_temp',
    direction: 'push',
    when: 'before-step',
    why: 'step scripts (ScriptHandler), fresh file-command files (FileCommandManager.InitializeFiles), _github_home, _github_workflow/event.json',
  },
  {
    path: '_actions',
    direction: 'push',
    when: 'before-step',
    why: 'downloaded actions (ActionManager): JavaScript actions run from here, Dockerfile actions are built from here',
  },
  {
    path: '_tool',
    direction: 'push',
    when: 'before-step',
    why: 'RUNNER_TOOL_CACHE (/__t): only what the runner side holds; steps fill the workload pod’s copy',
  },
  {
    path: '_temp/_runner_file_commands',
    direction: 'pull',
    when: 'after-step',
    why: 'GITHUB_OUTPUT/ENV/PATH/STATE/STEP_SUMMARY, read by FileCommandManager.ProcessFiles',
  },
  {
    path: WORKSPACE,
    direction: 'pull',
    when: 'after-step',
    why: 'hashFiles() (HashFilesFunction), local actions `uses: ./` (ActionManager), ::add-matcher:: files',
  },
];

/** One entry of a tree as the manifest records it. */
type Stat = { kind: 'd' | 'f' | 'l'; size: number; mtimeMs: number; mode: number; link?: string };

interface Manifest {
  version: 1;
  remoteDir: string;
  entries: Record<string, Stat>;
}

const same = (a: Stat | undefined, b: Stat) =>
  a !== undefined &&
  a.kind === b.kind &&
  a.mode === b.mode &&
  (b.kind === 'd' || (a.size === b.size && a.mtimeMs === b.mtimeMs && a.link === b.link));

const excluded = (rel: string, exclude: string[]) => exclude.some((e) => rel === e || rel.startsWith(`${e}/`));

/**
 * Lists localDir (not following links), relative paths → Stat; an absent dir is an empty tree. Synchronous on
 * purpose: a hook is a one-shot process with nothing else to do meanwhile, and lstatSync costs a few µs where a
 * promise per entry costs tens (3,000 entries: ~20 ms against ~250 ms on a busy 2-core machine).
 */
function scan(localDir: string, exclude: string[]): Map<string, Stat> {
  const out = new Map<string, Stat>();
  const walk = (rel: string): void => {
    let names: string[];
    try {
      names = readdirSync(rel ? join(localDir, rel) : localDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // gone meanwhile (or never there)
      throw err;
    }
    for (const name of names.sort()) {
      const r = rel ? `${rel}/${name}` : name;
      if (excluded(r, exclude)) continue;
      let st;
      try {
        st = lstatSync(join(localDir, r));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      const mode = st.mode & 0o7777;
      if (st.isDirectory()) {
        out.set(r, { kind: 'd', size: 0, mtimeMs: 0, mode });
        walk(r);
      } else if (st.isFile()) {
        out.set(r, { kind: 'f', size: st.size, mtimeMs: st.mtimeMs, mode });
      } else if (st.isSymbolicLink()) {
        out.set(r, { kind: 'l', size: 0, mtimeMs: st.mtimeMs, mode, link: readlinkSync(join(localDir, r)) });
      } // sockets, fifos, devices: not sent (the agent refuses them)
    }
  };
  walk('');
  return out;
}

async function readManifest(file: string, remoteDir: string): Promise<Record<string, Stat>> {
  try {
    const m = JSON.parse(await readFile(file, 'utf8')) as Partial<Manifest>;
    return m.version === 1 && m.remoteDir === remoteDir && m.entries ? m.entries : {};
  } catch {
    return {}; // none yet, or unreadable: send everything
  }
}

async function writeManifest(file: string, remoteDir: string, entries: Map<string, Stat>): Promise<void> {
  const m: Manifest = { version: 1, remoteDir, entries: Object.fromEntries(entries) };
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(m));
  await rename(tmp, file);
}

/** Runs GNU tar; resolves on exit codes in `ok`, else rejects with its stderr. */
function tarProcess(args: string[], ok: number[] = [0]) {
  const child = spawn('tar', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4096)));
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (err) => reject(new Internal(`cannot run tar: ${err.message}`, { cause: err })));
    child.on('close', (code, signal) =>
      code !== null && ok.includes(code)
        ? resolve()
        : reject(new Internal(`tar ${args[0]} failed (${signal ?? `exit ${code}`}): ${stderr.trim()}`)),
    );
  });
  return { child, done };
}

/**
 * Sends the entries of localDir that are new or changed since the last push to the same remoteDir (all of them the
 * first time, or when manifestFile is missing or names another remoteDir) and extracts them into remoteDir on the
 * agent's container. `exclude` names paths relative to localDir left out with everything beneath them. Deletions
 * are not propagated. The manifest is updated only after the agent confirmed the extraction, so a failed push is
 * sent again whole next time. Nothing changed: no request at all, `{files: 0, bytes: 0}`.
 */
export async function pushTree(
  agent: AgentClient,
  localDir: string,
  remoteDir: string,
  opts: { manifestFile: string; exclude?: string[] },
): Promise<FilesResult> {
  const previous = await readManifest(opts.manifestFile, remoteDir);
  const current = scan(localDir, opts.exclude ?? []);
  const changed = [...current].filter(([rel, st]) => !same(previous[rel], st)).map(([rel]) => rel);
  if (changed.length === 0) return { files: 0, bytes: 0 };
  // --no-recursion: exactly the listed entries (a changed directory's unchanged files stay home). Exit 1 is "a file
  // changed as we read it": the manifest holds the stat from before, so it goes again next time.
  const tar = tarProcess(
    [
      '-c',
      '-f',
      '-',
      '-C',
      localDir,
      '--no-recursion',
      '--ignore-failed-read',
      '--verbatim-files-from',
      '--null',
      '-T',
      '-',
    ],
    [0, 1],
  );
  tar.child.stdin.end(changed.map((p) => `${p}\0`).join(''));
  let result: FilesResult;
  try {
    result = await agent.putFiles(remoteDir, tar.child.stdout);
  } catch (err) {
    tar.child.kill('SIGKILL');
    await tar.done.catch(() => undefined);
    throw err;
  }
  await tar.done;
  await writeManifest(opts.manifestFile, remoteDir, current);
  return result;
}

/**
 * Replaces the local entries under localDir (created if missing) with remoteDir's tree from the agent's container:
 * files and links the remote holds are written anew (an existing local link is replaced, not written through),
 * modes and mtimes kept; local entries the remote lacks stay. Resolves with the non-directory entries and the bytes
 * of file content received. The agent refuses a remoteDir outside its roots (`Forbidden`) or missing (`NotFound`).
 */
export async function pullTree(agent: AgentClient, remoteDir: string, localDir: string): Promise<FilesResult> {
  const body = await agent.getFiles(remoteDir);
  await mkdir(localDir, { recursive: true });
  // GNU tar refuses `..` members and absolute names, and defers links that could lead out until the end.
  const tar = tarProcess(['-x', '-f', '-', '-C', localDir, '--no-same-owner', '--preserve-permissions']);
  const counter = new TarCounter();
  try {
    await pipeline(body as NodeJS.ReadableStream, counter, tar.child.stdin);
  } catch (err) {
    tar.child.kill('SIGKILL');
    await tar.done.catch(() => undefined);
    throw err;
  }
  await tar.done;
  return counter.result();
}

/**
 * Passes a tar stream through, counting its entries from the 512-byte headers: non-directory entries (files,
 * hard and symbolic links) and file bytes; PAX and GNU long-name records are metadata, not entries.
 */
export class TarCounter extends Transform {
  private files = 0;
  private bytes = 0;
  /** Bytes still to skip (entry data and its padding) before the next header. */
  private skip = 0;
  private header = Buffer.alloc(0);
  private ended = false;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let at = 0;
    while (at < chunk.length && !this.ended) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - at);
        this.skip -= n;
        at += n;
        continue;
      }
      const need = 512 - this.header.length;
      this.header = Buffer.concat([this.header, chunk.subarray(at, at + need)]);
      at += Math.min(need, chunk.length - at);
      if (this.header.length === 512) this.entry(this.header);
      if (this.header.length === 512) this.header = Buffer.alloc(0);
    }
    done(null, chunk);
  }

  private entry(h: Buffer): void {
    if (h.every((b) => b === 0)) {
      this.ended = true; // end-of-archive blocks
      return;
    }
    const type = String.fromCharCode(h[156]!);
    const size = tarNumber(h.subarray(124, 136));
    this.skip = Math.ceil(size / 512) * 512;
    if (type === '0' || type === '\0' || type === '7' || type === 'S') {
      this.files++;
      this.bytes += size;
    } else if (type === '1' || type === '2') {
      this.files++;
    }
  }

  result(): FilesResult {
    return { files: this.files, bytes: this.bytes };
  }
}

/** A tar numeric field: octal text, or base-256 when the high bit of the first byte is set. */
function tarNumber(field: Buffer): number {
  if (field[0]! & 0x80) {
    let n = field[0]! & 0x7f;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i]!;
    return n;
  }
  const text = field.toString('ascii').replace(/\0.*$/s, '').trim();
  return text ? parseInt(text, 8) : 0;
}
