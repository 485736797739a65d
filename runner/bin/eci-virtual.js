#!/usr/bin/env node
// The published entry point runs the esbuild bundle (yarn build); from a source checkout without a build, use tsx.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = fileURLToPath(new URL('../dist/eci-virtual.mjs', import.meta.url));
if (existsSync(bundle)) await import(bundle);
else {
  const { tsImport } = await import('tsx/esm/api');
  await tsImport('../src/cli/main.ts', import.meta.url);
}
