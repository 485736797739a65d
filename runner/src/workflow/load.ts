/**
 * Reads a workflow file into the model with validation: every error names file:line, bad YAML never crashes, and
 * keys eci-virtual does not act on are reported as warnings rather than silently dropped.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { InvalidInput } from '@eci-virtual/contract';
import type { Workflow, WorkflowJob, WorkflowStep } from './model.js';

export class WorkflowError extends InvalidInput {
  constructor(
    message: string,
    readonly file: string,
    readonly line: number,
  ) {
    super(`${file}:${line}: ${message}`);
  }
}

const JOB_KEYS = new Set([
  'name',
  'needs',
  'runs-on',
  'env',
  'defaults',
  'if',
  'timeout-minutes',
  'container',
  'services',
  'strategy',
  'steps',
  'continue-on-error',
  'outputs',
  'permissions',
  'concurrency',
  'environment',
]);
const IGNORED_JOB_KEYS = new Set(['continue-on-error', 'permissions', 'concurrency', 'environment']);
const STEP_KEYS = new Set([
  'id',
  'name',
  'if',
  'run',
  'shell',
  'env',
  'working-directory',
  'continue-on-error',
  'timeout-minutes',
  'uses',
  'with',
]);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function loadWorkflow(path: string, root = process.cwd()): Workflow {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InvalidInput(`cannot read workflow ${path}: ${(err as Error).message}`);
  }
  return parseWorkflow(text, relative(root, path) || path);
}

export function parseWorkflow(text: string, file: string): Workflow {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const first = doc.errors[0];
  if (first)
    throw new WorkflowError(`invalid YAML: ${first.message.split('\n')[0]}`, file, lines.linePos(first.pos[0]).line);
  const lineOf = (path: (string | number)[]) => lineAt(doc, lines, path);
  const fail = (msg: string, path: (string | number)[]): never => {
    throw new WorkflowError(msg, file, lineOf(path));
  };
  let root: unknown;
  try {
    // Aliases resolve here: one that names no anchor, or so many that they look like an alias bomb, throw.
    root = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new WorkflowError(`invalid YAML: ${(err as Error).message}`, file, 1);
  }
  if (!isObj(root)) fail('a workflow must be a mapping with a jobs: key', []);
  const wf = root as Obj;
  if (!isObj(wf.jobs) || !Object.keys(wf.jobs).length) fail('jobs: must map job ids to jobs', ['jobs']);
  const warnings: string[] = [];
  const strings = (v: unknown, path: (string | number)[]): Record<string, string> => {
    if (v === undefined || v === null) return {};
    if (!isObj(v)) return fail('expected a mapping of names to values', path);
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [
        k,
        x === null
          ? ''
          : typeof x === 'object'
            ? fail(`${k} must be a string, number or boolean`, [...path, k])
            : String(x),
      ]),
    );
  };
  const defaults = (v: unknown, path: (string | number)[]) => {
    const run = isObj(v) && isObj(v.run) ? v.run : {};
    return {
      ...(typeof run.shell === 'string' ? { shell: run.shell } : {}),
      ...(typeof run['working-directory'] === 'string' ? { workingDirectory: run['working-directory'] } : {}),
      ...(v !== undefined && !isObj(v) ? fail('defaults must be a mapping', path) : {}),
    };
  };
  const jobs: WorkflowJob[] = [];
  for (const [id, raw] of Object.entries(wf.jobs as Obj)) {
    const p = ['jobs', id];
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(id))
      fail(`job id "${id}" must start with a letter or _ and contain only alphanumerics, - or _`, p);
    if (!isObj(raw)) fail(`job ${id} must be a mapping`, p);
    const j = raw as Obj;
    for (const k of Object.keys(j)) {
      if (!JOB_KEYS.has(k))
        warnings.push(
          `${file}:${lineOf([...p, k])}: jobs.${id}.${k} is not supported by eci-virtual run and is ignored`,
        );
      else if (IGNORED_JOB_KEYS.has(k))
        warnings.push(`${file}:${lineOf([...p, k])}: jobs.${id}.${k} has no effect in eci-virtual run`);
    }
    if (j['runs-on'] === undefined) fail(`job ${id} has no runs-on`, p);
    if (!Array.isArray(j.steps) || !j.steps.length) fail(`job ${id} needs a non-empty steps: list`, [...p, 'steps']);
    const needs = j.needs === undefined ? [] : Array.isArray(j.needs) ? j.needs.map(String) : [String(j.needs)];
    const container =
      typeof j.container === 'string'
        ? { image: j.container, env: {} }
        : isObj(j.container)
          ? { image: String(j.container.image ?? ''), env: strings(j.container.env, [...p, 'container', 'env']) }
          : undefined;
    if (container && !container.image) fail(`job ${id}: container needs an image`, [...p, 'container']);
    if (isObj(j.container) && j.container.options)
      warnings.push(
        `${file}:${lineOf([...p, 'container', 'options'])}: container options are not applied on virtual nodes`,
      );
    const services: WorkflowJob['services'] = {};
    if (j.services !== undefined) {
      if (!isObj(j.services)) fail('services must map names to containers', [...p, 'services']);
      for (const [name, s] of Object.entries(j.services as Obj)) {
        const image = typeof s === 'string' ? s : isObj(s) ? String(s.image ?? '') : '';
        if (!image) fail(`service ${name} needs an image`, [...p, 'services', name]);
        services[name] = { image, env: isObj(s) ? strings(s.env, [...p, 'services', name, 'env']) : {} };
      }
    }
    const seen = new Set<string>();
    const steps: WorkflowStep[] = (j.steps as unknown[]).map((s, i) => {
      const sp = [...p, 'steps', i];
      if (!isObj(s)) return fail('a step must be a mapping', sp);
      for (const k of Object.keys(s)) if (!STEP_KEYS.has(k)) fail(`unknown step key "${k}"`, [...sp, k]);
      if ((s.run === undefined) === (s.uses === undefined)) fail('a step needs exactly one of run: or uses:', sp);
      if (typeof s.id === 'string') {
        if (seen.has(s.id)) fail(`duplicate step id "${s.id}"`, [...sp, 'id']);
        seen.add(s.id);
      }
      return {
        line: lineOf(sp),
        ...(s.id !== undefined ? { id: String(s.id) } : {}),
        ...(s.name !== undefined ? { name: String(s.name) } : {}),
        ...(s.if !== undefined ? { if: String(s.if) } : {}),
        ...(s.run !== undefined ? { run: String(s.run) } : {}),
        ...(s.shell !== undefined ? { shell: String(s.shell) } : {}),
        ...(s.env !== undefined ? { env: strings(s.env, [...sp, 'env']) } : {}),
        ...(s['working-directory'] !== undefined ? { workingDirectory: String(s['working-directory']) } : {}),
        ...(s['continue-on-error'] !== undefined
          ? {
              continueOnError:
                typeof s['continue-on-error'] === 'boolean' ? s['continue-on-error'] : String(s['continue-on-error']),
            }
          : {}),
        ...(s['timeout-minutes'] !== undefined ? { timeoutMinutes: Number(s['timeout-minutes']) } : {}),
        ...(s.uses !== undefined ? { uses: String(s.uses) } : {}),
        ...(s.with !== undefined ? { with: strings(s.with, [...sp, 'with']) } : {}),
      };
    });
    const strategy = isObj(j.strategy) ? j.strategy : undefined;
    const failFast = strategy?.['fail-fast'];
    if (failFast !== undefined && typeof failFast !== 'boolean')
      fail('strategy.fail-fast must be true or false', [...p, 'strategy', 'fail-fast']);
    const maxParallel = strategy?.['max-parallel'];
    if (maxParallel !== undefined && !(Number.isInteger(maxParallel) && (maxParallel as number) >= 1))
      fail('strategy.max-parallel must be a whole number ≥ 1', [...p, 'strategy', 'max-parallel']);
    jobs.push({
      id,
      ...(j.name !== undefined ? { name: String(j.name) } : {}),
      needs,
      runsOn: j['runs-on'],
      env: strings(j.env, [...p, 'env']),
      defaults: defaults(j.defaults, [...p, 'defaults']),
      ...(j.if !== undefined ? { if: String(j.if) } : {}),
      ...(j['timeout-minutes'] !== undefined ? { timeoutMinutes: Number(j['timeout-minutes']) } : {}),
      ...(container ? { container } : {}),
      services,
      ...(strategy?.matrix !== undefined ? { matrix: strategy.matrix as Record<string, unknown> } : {}),
      failFast: failFast !== false,
      ...(maxParallel !== undefined ? { maxParallel: maxParallel as number } : {}),
      outputs: strings(j.outputs, [...p, 'outputs']),
      steps,
      line: lineOf(p),
    });
  }
  const ids = new Set(jobs.map((j) => j.id));
  for (const j of jobs)
    for (const n of j.needs)
      if (!ids.has(n)) throw new WorkflowError(`job ${j.id} needs unknown job "${n}"`, file, j.line);
  return {
    file,
    name: typeof wf.name === 'string' ? wf.name : file,
    env: strings(wf.env, ['env']),
    defaults: defaults(wf.defaults, ['defaults']),
    jobs: orderByNeeds(jobs, file),
    warnings,
  };
}

/** Topological order by needs (stable), with a clear error for cycles. */
function orderByNeeds(jobs: WorkflowJob[], file: string): WorkflowJob[] {
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const out: WorkflowJob[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (j: WorkflowJob, path: string[]) => {
    if (state.get(j.id) === 'done') return;
    if (state.get(j.id) === 'visiting')
      throw new WorkflowError(`needs cycle: ${[...path, j.id].join(' → ')}`, file, j.line);
    state.set(j.id, 'visiting');
    for (const n of j.needs) visit(byId.get(n)!, [...path, j.id]);
    state.set(j.id, 'done');
    out.push(j);
  };
  for (const j of jobs) visit(j, []);
  return out;
}

function lineAt(doc: Document, lines: LineCounter, path: (string | number)[]): number {
  for (let n = path.length; n >= 0; n--) {
    const sub = path.slice(0, n);
    const node = sub.length ? doc.getIn(sub, true) : doc.contents;
    const parent = sub.length ? doc.getIn(sub.slice(0, -1), true) : undefined;
    // Prefer the key's position for map entries (that is where people look).
    if (isMap(parent)) {
      const pair = parent.items.find((it) => isScalar(it.key) && String(it.key.value) === String(sub[sub.length - 1]));
      const range = isScalar(pair?.key) ? pair.key.range : undefined;
      if (range) return lines.linePos(range[0]).line;
    }
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range) return lines.linePos(range[0]).line;
  }
  return 1;
}
