// Jest transformer for the `web` project (CommonJS mode): compiles TypeScript/JSX and any ESM file — ours, and the
// Backstage packages that ship ESM in plain `.js` — to CommonJS with swc; returns CommonJS sources unchanged (adding
// "use strict" to sloppy-mode CommonJS would change what it does).
import { createHash } from 'node:crypto';
import swcJest from '@swc/jest';

const swc = swcJest.createTransformer({
  jsc: {
    parser: { syntax: 'typescript', tsx: true },
    target: 'es2022',
    transform: { react: { runtime: 'automatic' } },
  },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
});

const ESM_SYNTAX = /^\s*(import\s*[\w{*'"]|export\s*[\w{*]|import\.meta\b)/m;

function needsTransform(source, path) {
  return !path.includes('/node_modules/') || /\.(mjs|tsx?)$/.test(path) || ESM_SYNTAX.test(source);
}

export default {
  canInstrument: false,
  process(source, path, options) {
    return needsTransform(source, path) ? swc.process(source, path, options) : { code: source };
  },
  getCacheKey(source, path, options) {
    const key = swc.getCacheKey ? swc.getCacheKey(source, path, options) : '';
    return createHash('sha1').update(key).update(source).update(path).update('web-transform-1').digest('hex');
  },
};
