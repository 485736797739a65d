/**
 * POSIX single-quoting: how every part that writes shell source for a job pod (the shared env file, step wrappers,
 * spool requests) makes any value safe, newlines included.
 */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
