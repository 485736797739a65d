/**
 * Builds (or finds cached) the Go tools of lib/go-tools.ts and prints their paths, one `NAME=path` line each:
 *   yarn tsx runner/scripts/build/go-tools.ts [all|helm|kaniko|paths]
 * `paths` prints where the binaries are or will be without building anything.
 */
import { ensureGoTool, GO_TOOLS, goToolPath, type GoToolName } from '../lib/go-tools.js';

const arg = process.argv[2] ?? 'all';
const names = Object.keys(GO_TOOLS) as GoToolName[];
const log = (msg: string) => console.error(msg);

if (arg === 'paths') {
  for (const name of names) console.log(`${name.toUpperCase()}=${goToolPath(GO_TOOLS[name])}`);
} else if (arg === 'all' || (names as string[]).includes(arg)) {
  for (const name of arg === 'all' ? names : [arg as GoToolName]) {
    console.log(`${name.toUpperCase()}=${await ensureGoTool(GO_TOOLS[name], log)}`);
  }
} else {
  console.error(`usage: go-tools.ts [all|${names.join('|')}|paths]`);
  process.exit(2);
}
