/**
 * Holds JSON to the model classes of Alibaba's official ECI SDK (`@alicloud/eci20180808`, generated from the
 * published API metadata). Each model class has `names()` (property → wire name) and `types()` (property →
 * `'string' | 'number' | 'boolean' | …`, a nested model class, or `{type: 'array' | 'map', itemType | valueType}`);
 * the SDK's own deserializer (`$tea.cast`) copies only the wire names it knows and skips the rest without a word, so
 * a field spelled differently from the model is silently lost to every SDK user. This module says so instead.
 *
 * Paths are written the way the API reference writes them: `ContainerGroups[].Containers[].CurrentState.State`.
 */

/** What a generated model class offers (a static side; the instances are not needed). */
export interface ModelClass {
  name: string;
  names(): Record<string, string>;
  types(): Record<string, unknown>;
}

export interface Conformance {
  /** Fields in the JSON that the model does not have (the SDK drops them). */
  unknown: string[];
  /** Fields whose JSON type differs from the model's. */
  mismatched: string[];
  /** Model fields absent from the JSON, for every object the JSON has (deduplicated across array items). */
  missing: string[];
}

const isModel = (t: unknown): t is ModelClass =>
  typeof t === 'function' && typeof (t as Partial<ModelClass>).names === 'function';

function checkValue(type: unknown, value: unknown, path: string, out: Conformance): void {
  if (value === undefined || value === null) return;
  if (typeof type === 'string') {
    if (type === 'any' || type === 'map' || type === 'Readable' || type === 'Buffer') return;
    if (typeof value !== type) out.mismatched.push(`${path}: ${typeof value}, the model says ${type}`);
    return;
  }
  if (isModel(type)) {
    if (typeof value !== 'object' || Array.isArray(value)) {
      out.mismatched.push(`${path}: ${Array.isArray(value) ? 'array' : typeof value}, the model says ${type.name}`);
      return;
    }
    checkObject(type, value as Record<string, unknown>, path, out);
    return;
  }
  const shape = type as { type?: string; itemType?: unknown; valueType?: unknown };
  if (shape.type === 'array') {
    if (!Array.isArray(value)) {
      out.mismatched.push(`${path}: ${typeof value}, the model says an array`);
      return;
    }
    for (const item of value) checkValue(shape.itemType, item, `${path}[]`, out);
    return;
  }
  if (shape.type === 'map') {
    if (typeof value !== 'object' || Array.isArray(value)) out.mismatched.push(`${path}: not an object (a map)`);
    else for (const [k, v] of Object.entries(value)) checkValue(shape.valueType, v, `${path}.${k}`, out);
    return;
  }
  out.mismatched.push(`${path}: the model's type ${JSON.stringify(type)} is not understood`);
}

function checkObject(model: ModelClass, value: Record<string, unknown>, path: string, out: Conformance): void {
  const names = model.names();
  const types = model.types();
  const byWire = new Map(Object.entries(names).map(([prop, wire]) => [wire, prop]));
  const at = (wire: string) => (path ? `${path}.${wire}` : wire);
  for (const [wire, v] of Object.entries(value)) {
    const prop = byWire.get(wire);
    if (prop === undefined) out.unknown.push(at(wire));
    else checkValue(types[prop], v, at(wire), out);
  }
  for (const wire of byWire.keys()) if (!(wire in value)) out.missing.push(at(wire));
}

/** Checks `json` (a response body as received) against the SDK model class of that body. */
export function conformance(model: ModelClass, json: unknown): Conformance {
  const out: Conformance = { unknown: [], mismatched: [], missing: [] };
  checkValue(model, json, '', out);
  const unique = (xs: string[]) => [...new Set(xs)].sort();
  return { unknown: unique(out.unknown), mismatched: unique(out.mismatched), missing: unique(out.missing) };
}

/**
 * What is wrong with one flattened RPC parameter (`Container.1.EnvironmentVar.2.Key=CI`, 1-based list indexes as
 * the RPC API takes them) for a request model, or `undefined` when the model has that name and the value can be of
 * its type (a number for `number`, `true`/`false` for `boolean`; strings as they come).
 */
export function requestParamProblem(model: ModelClass, flatName: string, value?: string): string | undefined {
  let type: unknown = model;
  const parts = flatName.split('.');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const shape = type as { type?: string; itemType?: unknown };
    if (shape && typeof shape === 'object' && shape.type === 'array') {
      if (!/^[1-9]\d*$/.test(part)) return `${parts.slice(0, i).join('.')} is a list: expected an index, got "${part}"`;
      type = shape.itemType;
      continue;
    }
    if (!isModel(type)) return `${parts.slice(0, i).join('.')} is a ${String(type)}: it has no "${part}"`;
    const prop = Object.entries(type.names()).find(([, wire]) => wire === part)?.[0];
    if (prop === undefined) return `${type.name} has no parameter "${part}" (in ${flatName})`;
    type = type.types()[prop];
  }
  const shape = type as { type?: string };
  if (isModel(type) || (shape && typeof shape === 'object' && shape.type === 'array'))
    return `${flatName} is a ${isModel(type) ? 'structure' : 'list'} in the model, sent as a single value`;
  if (value === undefined) return undefined;
  if (type === 'number' && !Number.isFinite(Number(value))) return `${flatName}="${value}" is not a number`;
  if (type === 'boolean' && value !== 'true' && value !== 'false') return `${flatName}="${value}" is not a boolean`;
  return undefined;
}
