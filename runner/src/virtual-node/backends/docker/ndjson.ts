/** Newline-delimited JSON from an engine stream (pull progress, events); partial lines wait for the next chunk. */
export async function* ndjson(stream: AsyncIterable<unknown>): AsyncGenerator<unknown> {
  let buffered = '';
  for await (const chunk of stream) {
    buffered += (chunk as Buffer).toString('utf8');
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (!line) continue;
      try {
        yield JSON.parse(line) as unknown;
      } catch {
        /* a non-JSON line (some engines interleave plain progress text) */
      }
    }
  }
}
