/**
 * How the base images kaniko pulls during `actions/build-image` builds reach the controller: kaniko fetches them from
 * the registry itself, so neither the pod spec nor the pod's events name them. The spool agent of the pod's
 * `kaniko` container (spool-agent.ts) reads each finished build's output for kaniko's `Retrieving image manifest
 * <ref>` records and prints one marker line per distinct image to its own stdout — the kaniko container's log — and
 * the controller reads that log through the pods/log API before the pod is deleted.
 *
 *   eci-virtual kaniko-base debian:12
 *
 * Kaniko v1.27.5 prints the record in both of its formats: logfmt (`time=… level=info msg="Retrieving image manifest
 * debian:12"`) and color (`INFO[0002] Retrieving image manifest debian:12`, with ANSI codes before the message).
 * `scratch` is no image and is never printed.
 */

/** The start of each line the agent prints for a base image (the image reference follows it). */
export const KANIKO_BASE_MARKER = 'eci-virtual kaniko-base ';

/** The most base images taken from one log: a job's record stays small whatever its builds print. */
export const MAX_KANIKO_BASES = 50;

/**
 * The characters of an image reference as kaniko prints it (`host:port/path:tag@sha256:hex`). The agent's scan and
 * the parser below agree on it; a quote, a space or an ANSI code ends the reference.
 */
const REF_CHARS = 'A-Za-z0-9._/:@-';
const REF_RE = new RegExp(`^[${REF_CHARS}]+$`);

/**
 * A POSIX sh function for the spool agent (busybox grep, sed and sort): `kaniko_bases <log file>` prints the marker
 * line of every distinct base image the build in `<log file>` retrieved, sorted, `scratch` left out.
 */
export const KANIKO_BASE_SCAN = String.raw`kaniko_bases() {
  grep -o 'Retrieving image manifest [${REF_CHARS}]*' "$1" 2>/dev/null \
    | sed 's/^Retrieving image manifest //' \
    | grep -v -e '^scratch$' -e '^$' \
    | sort -u \
    | sed 's|^|${KANIKO_BASE_MARKER}|'
}`;

/**
 * The base images named by the marker lines of a kaniko container's log (other lines are ignored), in order of
 * first appearance, each once, `scratch` and malformed references left out, at most `MAX_KANIKO_BASES`.
 */
export function kanikoBaseImagesFromLog(text: string): string[] {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(KANIKO_BASE_MARKER)) continue;
    const ref = line.slice(KANIKO_BASE_MARKER.length).trim();
    if (!REF_RE.test(ref) || ref === 'scratch') continue;
    out.add(ref);
    if (out.size >= MAX_KANIKO_BASES) break;
  }
  return [...out];
}
