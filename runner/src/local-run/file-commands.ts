/**
 * GitHub's file commands: a step appends to the files named by GITHUB_ENV / GITHUB_OUTPUT (`name=value` lines or
 * `name<<DELIMITER` heredocs) and GITHUB_PATH (one directory per line). Parsed here exactly as the runner does.
 */
import { InvalidInput } from '@eci-virtual/contract';

export function parseKeyValueFile(text: string, what: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    const eq = line.indexOf('=');
    if (heredoc && (eq < 0 || eq > line.indexOf('<<'))) {
      const [, name, delimiter] = heredoc as unknown as [string, string, string];
      const body: string[] = [];
      let closed = false;
      for (i++; i < lines.length; i++) {
        if (lines[i] === delimiter) {
          closed = true;
          break;
        }
        body.push(lines[i]!);
      }
      if (!closed) throw new InvalidInput(`${what}: matching delimiter "${delimiter}" not found for "${name}"`);
      out.set(name, body.join('\n'));
    } else if (eq > 0) {
      out.set(line.slice(0, eq), line.slice(eq + 1));
    } else {
      throw new InvalidInput(`${what}: invalid line "${line.slice(0, 80)}" (expected name=value or name<<DELIMITER)`);
    }
  }
  return out;
}

export function parsePathFile(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
}
