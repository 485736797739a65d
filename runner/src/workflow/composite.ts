/** Local composite actions (`uses: ./path`): action.yml read from the workspace, validated, its steps returned. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { InvalidInput } from '@eci-virtual/contract';

export interface CompositeAction {
  inputs: Record<string, { required: boolean; default?: string }>;
  outputs: Record<string, string>;
  steps: {
    id?: string;
    name?: string;
    if?: string;
    run?: string;
    shell?: string;
    env?: Record<string, string>;
    workingDirectory?: string;
    continueOnError?: boolean;
  }[];
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function loadCompositeAction(workspaceRoot: string, uses: string, where: string): CompositeAction {
  const dir = join(workspaceRoot, uses);
  const file = ['action.yml', 'action.yaml'].map((f) => join(dir, f)).find((f) => existsSync(f));
  if (!file) throw new InvalidInput(`${where}: no action.yml in ${uses}`);
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new InvalidInput(`${uses}/action.yml: invalid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!isObj(doc) || !isObj(doc.runs)) throw new InvalidInput(`${uses}/action.yml has no runs:`);
  if (doc.runs.using !== 'composite') {
    throw new InvalidInput(
      `${where}: ${uses} is a "${String(doc.runs.using)}" action; eci-virtual run supports local composite actions only`,
    );
  }
  const steps = Array.isArray(doc.runs.steps) ? doc.runs.steps : [];
  const inputs: CompositeAction['inputs'] = {};
  for (const [k, v] of Object.entries(isObj(doc.inputs) ? doc.inputs : {})) {
    inputs[k] = {
      required: isObj(v) && v.required === true,
      ...(isObj(v) && v.default !== undefined ? { default: String(v.default) } : {}),
    };
  }
  const outputs: Record<string, string> = {};
  for (const [k, v] of Object.entries(isObj(doc.outputs) ? doc.outputs : {}))
    if (isObj(v) && v.value !== undefined) outputs[k] = String(v.value);
  return {
    inputs,
    outputs,
    steps: steps.map((s: unknown, i: number) => {
      if (!isObj(s)) throw new InvalidInput(`${uses}/action.yml: step ${i + 1} must be a mapping`);
      if (s.uses !== undefined)
        throw new InvalidInput(`${uses}/action.yml: step ${i + 1}: nested uses: is not supported`);
      if (s.run === undefined) throw new InvalidInput(`${uses}/action.yml: step ${i + 1} needs run:`);
      if (s.shell === undefined)
        throw new InvalidInput(`${uses}/action.yml: step ${i + 1}: composite run steps require shell:`);
      return {
        ...(s.id !== undefined ? { id: String(s.id) } : {}),
        ...(s.name !== undefined ? { name: String(s.name) } : {}),
        ...(s.if !== undefined ? { if: String(s.if) } : {}),
        run: String(s.run),
        shell: String(s.shell),
        ...(isObj(s.env) ? { env: Object.fromEntries(Object.entries(s.env).map(([k, v]) => [k, String(v)])) } : {}),
        ...(s['working-directory'] !== undefined ? { workingDirectory: String(s['working-directory']) } : {}),
        ...(s['continue-on-error'] === true ? { continueOnError: true } : {}),
      };
    }),
  };
}
