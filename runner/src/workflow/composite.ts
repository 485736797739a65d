/** action.yml of a local action read from the workspace, and composite actions' steps (local-action.ts dispatches). */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { InvalidInput } from '@eci-virtual/contract';

export type ActionInputs = Record<string, { required: boolean; default?: string }>;

export interface CompositeAction {
  inputs: ActionInputs;
  outputs: Record<string, string>;
  steps: {
    id?: string;
    name?: string;
    if?: string;
    run?: string;
    shell?: string;
    /** A nested action (`uses:` and its `with:`), expanded by the loader like a workflow step's. */
    uses?: string;
    with?: Record<string, string>;
    env?: Record<string, string>;
    workingDirectory?: string;
    continueOnError?: boolean;
  }[];
}

export type ActionManifest = Record<string, unknown> & { runs: Record<string, unknown> };

export const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads `<dir>/action.yml` (or .yaml) below the workspace; `label` names the action in errors. */
export function readActionManifest(workspaceRoot: string, dir: string, label: string, where: string): ActionManifest {
  const base = resolve(workspaceRoot, dir);
  const file = ['action.yml', 'action.yaml'].map((f) => join(base, f)).find((f) => existsSync(f));
  if (!file) throw new InvalidInput(`${where}: no action.yml in ${label}`);
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InvalidInput(`${label}/action.yml: invalid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!isObj(doc) || !isObj(doc.runs)) throw new InvalidInput(`${label}/action.yml has no runs:`);
  return doc as ActionManifest;
}

/** The inputs of an action.yml: name → required and default (unevaluated). */
export function actionInputs(doc: ActionManifest): ActionInputs {
  const inputs: ActionInputs = {};
  for (const [k, v] of Object.entries(isObj(doc.inputs) ? doc.inputs : {})) {
    inputs[k] = {
      required: isObj(v) && v.required === true,
      ...(isObj(v) && v.default !== undefined ? { default: String(v.default) } : {}),
    };
  }
  return inputs;
}

/** A composite action's inputs, outputs and `run:` steps; `uses` names it in errors. */
export function compositeAction(doc: ActionManifest, uses: string): CompositeAction {
  const steps = Array.isArray(doc.runs.steps) ? doc.runs.steps : [];
  const outputs: Record<string, string> = {};
  for (const [k, v] of Object.entries(isObj(doc.outputs) ? doc.outputs : {}))
    if (isObj(v) && v.value !== undefined) outputs[k] = String(v.value);
  return {
    inputs: actionInputs(doc),
    outputs,
    steps: steps.map((s: unknown, i: number) => {
      if (!isObj(s)) throw new InvalidInput(`${uses}/action.yml: step ${i + 1} must be a mapping`);
      if (s.run === undefined && s.uses === undefined)
        throw new InvalidInput(`${uses}/action.yml: step ${i + 1} needs run: or uses:`);
      if (s.run !== undefined && s.shell === undefined)
        throw new InvalidInput(`${uses}/action.yml: step ${i + 1}: composite run steps require shell:`);
      return {
        ...(s.id !== undefined ? { id: String(s.id) } : {}),
        ...(s.name !== undefined ? { name: String(s.name) } : {}),
        ...(s.if !== undefined ? { if: String(s.if) } : {}),
        ...(s.run !== undefined ? { run: String(s.run), shell: String(s.shell) } : {}),
        ...(s.uses !== undefined ? { uses: String(s.uses) } : {}),
        ...(isObj(s.with) ? { with: Object.fromEntries(Object.entries(s.with).map(([k, v]) => [k, String(v)])) } : {}),
        ...(isObj(s.env) ? { env: Object.fromEntries(Object.entries(s.env).map(([k, v]) => [k, String(v)])) } : {}),
        ...(s['working-directory'] !== undefined ? { workingDirectory: String(s['working-directory']) } : {}),
        ...(s['continue-on-error'] === true ? { continueOnError: true } : {}),
      };
    }),
  };
}
