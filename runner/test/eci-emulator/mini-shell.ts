/**
 * Just enough of `sh -c` for scripted fake containers: statements separated by `;`, newlines or `&&`, with
 * `echo [...] [>&2]`, `sleep S|infinity`, `exit N`, `cat` (stdin → stdout), `true`, `false`. Anything else prints
 * "not found" and yields 127, as a shell would. Quotes ('…', "…") group words; no expansion.
 */
import type { Readable } from 'node:stream';

export interface ShellIo {
  stdin?: Readable;
  out(text: string): void;
  err(text: string): void;
  /** Real-time sleep, already scaled and cancellable (rejects or resolves early on abort). */
  sleep(seconds: number): Promise<void>;
  signal: AbortSignal;
}

type Token = { word: string } | { op: ';' | '&&' };

export function tokenize(script: string): Token[] {
  const tokens: Token[] = [];
  let word: string | undefined;
  const flush = () => {
    if (word !== undefined) tokens.push({ word });
    word = undefined;
  };
  for (let i = 0; i < script.length; i++) {
    const c = script[i]!;
    if (c === "'" || c === '"') {
      const end = script.indexOf(c, i + 1);
      if (end < 0) throw new Error(`sh: unterminated quote`);
      word = (word ?? '') + script.slice(i + 1, end);
      i = end;
    } else if (c === ';' || c === '\n') {
      flush();
      tokens.push({ op: ';' });
    } else if (c === '&' && script[i + 1] === '&') {
      flush();
      tokens.push({ op: '&&' });
      i++;
    } else if (c === ' ' || c === '\t') flush();
    else word = (word ?? '') + c;
  }
  flush();
  return tokens;
}

class Exit {
  constructor(readonly code: number) {}
}

async function runCommand(argv: string[], io: ShellIo): Promise<number> {
  const [cmd, ...args] = argv;
  switch (cmd) {
    case 'echo': {
      const toErr = args.at(-1) === '>&2' || args.at(-1) === '1>&2';
      const text = (toErr ? args.slice(0, -1) : args).join(' ') + '\n';
      if (toErr) io.err(text);
      else io.out(text);
      return 0;
    }
    case 'sleep': {
      const s = args[0] === 'infinity' ? Infinity : Number(args[0]);
      if (!Number.isFinite(s) && s !== Infinity) {
        io.err(`sleep: invalid time interval '${args[0] ?? ''}'\n`);
        return 1;
      }
      await io.sleep(s);
      return 0;
    }
    case 'exit':
      throw new Exit(Number(args[0] ?? 0) & 0xff);
    case 'true':
      return 0;
    case 'false':
      return 1;
    case 'cat': {
      if (io.stdin) for await (const chunk of io.stdin) io.out(String(chunk));
      return 0;
    }
    default:
      io.err(`sh: ${cmd}: not found\n`);
      return 127;
  }
}

/** Runs a script; resolves with its exit status (the last command's, or `exit N`). */
export async function runScript(script: string, io: ShellIo): Promise<number> {
  const tokens = tokenize(script);
  let status = 0;
  let argv: string[] = [];
  let skip = false;
  try {
    for (const t of [...tokens, { op: ';' } as Token]) {
      if ('word' in t) {
        argv.push(t.word);
        continue;
      }
      if (argv.length && !skip) {
        if (io.signal.aborted) return 143;
        status = await runCommand(argv, io);
      }
      argv = [];
      skip = t.op === '&&' && status !== 0;
    }
  } catch (e) {
    if (e instanceof Exit) return e.code;
    throw e;
  }
  return status;
}
