/**
 * GitHub's own descriptions of its API, as JSON Schema validators (Ajv, JSON Schema 2020-12 + ajv-formats):
 *
 * - REST: `@octokit/openapi` `generated/api.github.com.json` — GitHub's OpenAPI 3.0.3 description of
 *   api.github.com (published by GitHub in github/rest-api-description, packaged by Octokit).
 * - Webhooks: `@octokit/openapi-webhooks` `generated/api.github.com.json` — GitHub's OpenAPI 3.1 description of
 *   webhook payloads and delivery headers.
 *
 * The only rewriting is OpenAPI 3.0's `nullable: true`, which the 3.0.3 specification defines as "adds null to the
 * allowed values" (https://spec.openapis.org/oas/v3.0.3#fixed-fields-19): it becomes `type: [T, "null"]`, and `null`
 * is added to an `enum` beside it (GitHub's 3.1 webhook description writes the same fields that way). Nothing is
 * removed or relaxed: formats are checked, unknown keywords are only OpenAPI annotations (`example`, `x-*`, …).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import * as formatsModule from 'ajv-formats';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Doc = {
  paths?: Record<string, Record<string, Json>>;
  webhooks?: Record<string, Json>;
  components: Record<string, Record<string, Json>>;
};

const require = createRequire(import.meta.url);
const addFormats = ((formatsModule as unknown as { default?: unknown }).default ?? formatsModule) as (
  ajv: Ajv2020,
) => void;

function load(pkg: string): Doc {
  const dir = require.resolve(`${pkg}/package.json`).replace(/package\.json$/, '');
  return JSON.parse(readFileSync(`${dir}generated/api.github.com.json`, 'utf8')) as Doc;
}

/** `#/components/schemas/x` → `<id>#/$defs/x`, `nullable` → JSON Schema; everything else as published. */
function convert(node: Json, id: string): Json {
  if (Array.isArray(node)) return node.map((n) => convert(n, id));
  if (node === null || typeof node !== 'object') return node;
  const out: { [k: string]: Json } = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$ref' && typeof v === 'string') out[k] = v.replace(/^#\/components\/schemas\//, `${id}#/$defs/`);
    else if (k === 'nullable') continue;
    else if (k === 'properties' && v && typeof v === 'object' && !Array.isArray(v))
      out[k] = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, convert(s, id)]));
    else out[k] = convert(v, id);
  }
  if ((node as { nullable?: unknown }).nullable === true) {
    if (typeof out.type === 'string') out.type = [out.type, 'null'];
    else if (out.type === undefined) return { anyOf: [{ type: 'null' }, out] };
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  }
  return out;
}

/** Every keyword the two descriptions use that is not JSON Schema: annotations only. */
function annotationKeywords(docs: Doc[]): string[] {
  const found = new Set<string>(['example', 'discriminator', 'externalDocs', 'xml']);
  const walk = (n: Json) => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== 'object') return;
    for (const [k, v] of Object.entries(n)) {
      if (k.startsWith('x-')) found.add(k);
      walk(v);
    }
  };
  for (const d of docs) walk(d.components.schemas as Json);
  return [...found];
}

export interface GitHubSchemas {
  /** The schema of a REST response: `GET /repos/{owner}/{repo}/actions/runs`, status 200. */
  restResponse(method: string, pathTemplate: string, status: number): ValidateFunction;
  /** A REST component by name (`basic-error`, `job`, …). */
  restComponent(name: string): ValidateFunction;
  /** The payload schema of a webhook (`workflow-job-queued`). */
  webhookPayload(webhook: string): ValidateFunction;
  /** Header names the webhook description marks required for that webhook (lower case). */
  webhookRequiredHeaders(webhook: string): string[];
  /** Whether the route documents `status` (otherwise an error answer is checked against `basic-error`). */
  documents(method: string, pathTemplate: string, status: number): boolean;
}

let cached: GitHubSchemas | undefined;

export function githubSchemas(): GitHubSchemas {
  if (cached) return cached;
  const rest = load('@octokit/openapi');
  const hooks = load('@octokit/openapi-webhooks');
  const ajv = new Ajv2020({ strict: true, strictTypes: false, allErrors: true, allowUnionTypes: true });
  addFormats(ajv);
  for (const k of annotationKeywords([rest, hooks])) ajv.addKeyword({ keyword: k });
  ajv.addSchema({ $id: 'rest', $defs: convert(rest.components.schemas as Json, 'rest') });
  ajv.addSchema({ $id: 'webhooks', $defs: convert(hooks.components.schemas as Json, 'webhooks') });

  const responseOf = (method: string, path: string, status: number): Json | undefined => {
    const op = rest.paths?.[path]?.[method.toLowerCase()] as { responses?: Record<string, Json> } | undefined;
    if (!op) throw new Error(`the REST description has no ${method} ${path}`);
    let r = op.responses?.[String(status)] as
      { $ref?: string; content?: Record<string, { schema?: Json }> } | undefined;
    if (r?.$ref) r = rest.components.responses![r.$ref.split('/').pop()!] as typeof r;
    return r ? (r.content?.['application/json']?.schema ?? {}) : undefined;
  };
  const compiled = new Map<string, ValidateFunction>();
  const compile = (key: string, schema: () => Json) => {
    let v = compiled.get(key);
    if (!v) {
      v = ajv.compile(schema() as object);
      compiled.set(key, v);
    }
    return v;
  };
  cached = {
    documents: (method, path, status) => responseOf(method, path, status) !== undefined,
    restResponse: (method, path, status) =>
      compile(`${method} ${path} ${status}`, () => {
        const s = responseOf(method, path, status);
        if (s === undefined) throw new Error(`${method} ${path} documents no ${status} answer`);
        return convert(s, 'rest');
      }),
    restComponent: (name) => compile(`rest:${name}`, () => ({ $ref: `rest#/$defs/${name}` })),
    webhookPayload: (webhook) =>
      compile(`hook:${webhook}`, () => {
        const op = hooks.webhooks?.[webhook] as {
          post?: { requestBody?: { content?: Record<string, { schema?: Json }> } };
        };
        const s = op?.post?.requestBody?.content?.['application/json']?.schema;
        if (!s) throw new Error(`the webhook description has no ${webhook}`);
        return convert(s, 'webhooks');
      }),
    webhookRequiredHeaders: (webhook) => {
      const op = hooks.webhooks?.[webhook] as {
        post?: { parameters?: { name: string; in: string; required?: boolean }[] };
      };
      return (op?.post?.parameters ?? [])
        .filter((p) => p.in === 'header' && p.required)
        .map((p) => p.name.toLowerCase());
    },
  };
  return cached;
}

/** Ajv's errors as one readable line each (path, message, the offending value). */
export function describeErrors(errors: ErrorObject[] | null | undefined, data: unknown): string[] {
  return (errors ?? []).map((e) => {
    let v: unknown = data;
    for (const seg of e.instancePath.split('/').slice(1))
      v = (v as Record<string, unknown> | undefined)?.[decodeURIComponent(seg.replace(/~1/g, '/').replace(/~0/g, '~'))];
    return `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)} (got ${JSON.stringify(v)?.slice(0, 120)})`;
  });
}
