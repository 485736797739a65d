/**
 * Actions `eci-virtual run` can run: a directory in the working tree with an action.yml — `uses: ./path`, or a remote
 * `owner/repo[/path]@ref` from the action cache, `<cache>/<owner>/<repo>@<sha>[/path]` (local-run/action-cache.ts).
 * A remote action not resolved yet throws RemoteActionMissing: `eci-virtual run` then resolves and downloads it and
 * loads the workflow again.
 *
 * The kinds follow the runner's ActionManifestManager (src/Runner.Worker/ActionManifestManager.cs): `composite`,
 * `node12`/`node16`/`node20`/`node24` (a `main:` script), `docker` (an `image:`, here only `docker://…`: a Dockerfile
 * would need a build before the pod exists, which holds every image from the start).
 */
import { posix } from 'node:path';
import { InvalidInput, PATHS } from '@eci-virtual/contract';
import {
  actionInputs,
  compositeAction,
  isObj,
  readActionManifest,
  type ActionInputs,
  type CompositeAction,
} from './composite.js';

export type LocalAction =
  | ({ kind: 'composite' } & CompositeAction)
  | ({ kind: 'node'; using: string; main: string; inputs: ActionInputs } & ActionHooks)
  | ({
      kind: 'docker';
      image: string;
      entrypoint: string;
      args: string[];
      env: Record<string, string>;
      inputs: ActionInputs;
    } & ActionHooks);

/**
 * `pre`/`post` scripts (docker: `pre-entrypoint`/`post-entrypoint`) and their conditions, `pre-if`/`post-if`, both
 * `always()` unless set (ActionManifestManager.cs: InitCondition / CleanupCondition).
 */
export interface ActionHooks {
  pre?: string;
  post?: string;
  preIf?: string;
  postIf?: string;
}

/** A remote action not resolved yet: the CLI resolves and downloads it (local-run/action-cache.ts), then loads again. */
export class RemoteActionMissing extends InvalidInput {
  constructor(
    message: string,
    readonly action: { owner: string; repo: string; ref: string },
  ) {
    super(message);
  }
}

const NODE_VERSIONS = ['node12', 'node16', 'node20', 'node24'];

/** Where remote actions are in the job pod: `<workspace root>/_actions/<owner>/<repo>@<sha>`, as the runner's `_work/_actions`. */
export const POD_ACTIONS_DIR = `${PATHS.workspace}/_actions`;

/** `owner/repo[/path]@ref` → its parts; undefined for anything else (`./x`, `docker://…`). */
export function parseRemoteUses(uses: string): { owner: string; repo: string; path: string; ref: string } | undefined {
  const m = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)((?:\/[^@]+)?)@(.+)$/.exec(uses);
  if (!m) return undefined;
  return { owner: m[1]!, repo: m[2]!, path: m[3]!.replace(/^\//, ''), ref: m[4]! };
}

/** A remote action's repository at a commit, as the action cache holds it. */
export interface ResolvedRemote {
  /** `<owner>/<repo>@<sha>`: its directory below the cache and below POD_ACTIONS_DIR. */
  key: string;
  /** Absolute local directory. */
  dir: string;
}

/** What the loader knows of remote actions: the resolved repository of `owner/repo@ref`, or undefined. */
export type RemoteLookup = (a: { owner: string; repo: string; ref: string }) => ResolvedRemote | undefined;

export interface ActionLocation {
  /** Where action.yml is read from: relative to the working tree (`./path`) or absolute (the action cache). */
  local: string;
  /** Where it is in the pod: relative to `github.workspace` (`./path`) or absolute (below POD_ACTIONS_DIR). */
  pod: string;
  /** A remote action's repository, which the job uploads into POD_ACTIONS_DIR before its first step. */
  remote?: ResolvedRemote;
}

/**
 * Where a `uses:` is: `./path` in the working tree (and the checked-out workspace), `owner/repo[/path]@ref` in the
 * action cache (and the pod's actions directory). Throws RemoteActionMissing for a remote action `remote` does not
 * know yet.
 */
export function actionLocation(uses: string, remote: RemoteLookup, where: string): ActionLocation {
  if (uses.startsWith('./')) {
    const rel = posix.normalize(uses);
    return { local: rel, pod: rel };
  }
  const r = parseRemoteUses(uses);
  if (!r) throw new InvalidInput(`${where}: uses: ${uses} is not ./path, docker://image or owner/repo[/path]@ref`);
  const found = remote(r);
  if (!found) throw new RemoteActionMissing(`${where}: uses: ${uses} is not resolved yet`, r);
  const sub = r.path ? `/${posix.normalize(r.path)}` : '';
  if (sub.split('/').includes('..')) throw new InvalidInput(`${where}: uses: ${uses}: the path leaves the repository`);
  return { local: `${found.dir}${sub}`, pod: `${POD_ACTIONS_DIR}/${found.key}${sub}`, remote: found };
}

/** Reads and classifies the action at `dir` (relative to the working tree); `label` is the `uses:` as written. */
export function loadLocalAction(workspaceRoot: string, dir: string, label: string, where: string): LocalAction {
  const doc = readActionManifest(workspaceRoot, dir, label, where);
  const using = String(doc.runs.using ?? '');
  const str = (k: string) => (typeof doc.runs[k] === 'string' ? (doc.runs[k] as string) : undefined);
  const hooks = (pre: string | undefined, post: string | undefined): ActionHooks => ({
    ...(pre ? { pre } : {}),
    ...(post ? { post } : {}),
    ...(str('pre-if') ? { preIf: str('pre-if') } : {}),
    ...(str('post-if') ? { postIf: str('post-if') } : {}),
  });
  if (using === 'composite') return { kind: 'composite', ...compositeAction(doc, label) };
  if (NODE_VERSIONS.includes(using.toLowerCase())) {
    const main = str('main');
    if (!main) throw new InvalidInput(`${where}: ${label} is a JavaScript action without runs.main`);
    return { kind: 'node', using, main, inputs: actionInputs(doc), ...hooks(str('pre'), str('post')) };
  }
  if (using === 'docker') {
    const image = str('image') ?? '';
    if (!image.startsWith('docker://'))
      throw new InvalidInput(
        `${where}: ${label} is a Dockerfile action (image: ${image || '(none)'}): the job pod holds every image ` +
          'from its start, so an image cannot be built for a step',
        { hint: 'build and push the image, then set runs.image: docker://<image> in action.yml' },
      );
    const entrypoint = str('entrypoint');
    if (!entrypoint)
      throw new InvalidInput(
        `${where}: ${label} needs runs.entrypoint: its step runs in an idle container of the job pod, so the ` +
          "image's own ENTRYPOINT is not started (and not known)",
      );
    const args = Array.isArray(doc.runs.args) ? doc.runs.args.map((a) => String(a)) : [];
    const env = isObj(doc.runs.env)
      ? Object.fromEntries(Object.entries(doc.runs.env).map(([k, v]) => [k, String(v)]))
      : {};
    return {
      kind: 'docker',
      image: image.slice('docker://'.length),
      entrypoint,
      args,
      env,
      inputs: actionInputs(doc),
      ...hooks(str('pre-entrypoint'), str('post-entrypoint')),
    };
  }
  throw new InvalidInput(
    `${where}: ${label}: 'using: ${using}' is not supported, use 'composite', 'docker', 'node12', 'node16', 'node20' or 'node24'`,
  );
}

/** `INPUT_<NAME>`: the variable an action reads an input from (runner Handler.cs AddInputsToEnvironment). */
export const inputEnvName = (name: string) => `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;

/** An interpolation template (`text ${{ expr }} text`) as one expression of the same value. */
export function templateExpression(template: string): string {
  const parts: { lit?: string; expr?: string }[] = [];
  let i = 0;
  for (const m of template.matchAll(/\$\{\{([\s\S]*?)\}\}/g)) {
    if (m.index > i) parts.push({ lit: template.slice(i, m.index) });
    parts.push({ expr: m[1]!.trim() });
    i = m.index + m[0].length;
  }
  if (i < template.length) parts.push({ lit: template.slice(i) });
  const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
  if (parts.length === 1 && parts[0]!.expr !== undefined) return `(${parts[0]!.expr})`;
  if (parts.every((p) => p.lit !== undefined)) return quote(template);
  let n = 0;
  const format = parts.map((p) => (p.lit !== undefined ? p.lit.replace(/[{}]/g, '$&$&') : `{${n++}}`)).join('');
  const args = parts.filter((p) => p.expr !== undefined).map((p) => `(${p.expr})`);
  return `format(${quote(format)}, ${args.join(', ')})`;
}

/**
 * An action.yml string (`runs.args`, `runs.env`) made evaluable with the caller's contexts: inside each `${{ }}`,
 * `inputs.<name>` becomes the expression the caller's `with:` (or the input's default) stands for. The runner
 * evaluates action inputs with the caller's contexts too, so the value is the same.
 */
export function withInputsInlined(text: string, inputs: Record<string, string>): string {
  const byLower = new Map(Object.entries(inputs).map(([k, v]) => [k.toLowerCase(), v]));
  return text.replace(/\$\{\{([\s\S]*?)\}\}/g, (_, expr: string) => {
    const inlined = expr.replace(
      /\binputs(?:\.([A-Za-z_][A-Za-z0-9_-]*)|\[\s*'([^']*)'\s*\])/gi,
      (_m, dot: string | undefined, idx: string | undefined) =>
        templateExpression(byLower.get((dot ?? idx ?? '').toLowerCase()) ?? ''),
    );
    return `\${{${inlined}}}`;
  });
}
