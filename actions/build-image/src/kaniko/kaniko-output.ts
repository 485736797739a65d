/**
 * Reads what the kaniko executor prints, so a build step can report cache hits and the pushed digest without
 * string-matching in every caller. Fed with the exec's combined output (kaniko logs to stderr; RUN commands write to
 * both streams), whole or in chunks.
 *
 * Both log formats of kaniko v1.27.5 are understood: `--log-format=text` without a TTY (logfmt:
 * `time="…" level=info msg="…"`) and the default color format (`INFO[0002] …` with ANSI codes). Lines that are
 * neither are the build's own output (a RUN command's stdout) or kaniko's final error line.
 *
 * Kaniko prints no image size; take it from the pushed manifest (sum of its layer sizes) when needed.
 */

export type KanikoLevel = 'trace' | 'debug' | 'info' | 'warning' | 'error' | 'fatal' | 'panic';

export interface KanikoLine {
  /** Undefined for lines that are not kaniko log records (build output, the final error line). */
  level: KanikoLevel | undefined;
  message: string;
}

export interface KanikoPush {
  /** Repository without tag, as kaniko reports it. */
  repository: string;
  digest: string;
}

export interface KanikoReport {
  /** `Building stage` records: one per stage that was built. */
  stages: number;
  /** Instructions served from the layer cache ("Using caching version of cmd: …"), in order. */
  cacheHits: string[];
  /** Instructions looked up in the cache and not found ("No cached layer found for cmd …"). */
  cacheMisses: string[];
  /** Cache layers kaniko pushed to the cache repository. */
  cachePushes: number;
  /** The built image as pushed to each destination repository. */
  pushed: KanikoPush[];
  /** `--no-push` was honoured. */
  pushSkipped: boolean;
  /** Kaniko's own failure message ("error building image: …" or the last error/fatal record), if any. */
  error: string | undefined;
}

// eslint-disable-next-line no-control-regex -- ANSI escape sequences start with ESC
const ANSI_RE = /\u001b\[[0-9;]*[A-Za-z]/g;
const SHORT_LEVELS: Record<string, KanikoLevel> = {
  TRAC: 'trace',
  DEBU: 'debug',
  INFO: 'info',
  WARN: 'warning',
  ERRO: 'error',
  FATA: 'fatal',
  PANI: 'panic',
};
const LEVELS = new Set<string>(['trace', 'debug', 'info', 'warning', 'error', 'fatal', 'panic']);
const COLOR_LINE_RE = /^(TRAC|DEBU|INFO|WARN|ERRO|FATA|PANI)\[[^\]]*\]\s?(.*?)\s*$/;
const LOGFMT_PAIR_RE = /([A-Za-z_][\w.-]*)=("(?:[^"\\]|\\.)*"|\S*)/g;

/** Undoes Go's strconv.Quote as logrus applies it to logfmt values. */
function unquote(value: string): string {
  if (!value.startsWith('"')) return value;
  try {
    return JSON.parse(value) as string;
  } catch {
    // Go escapes JSON does not know (\a, \x1b, \v): keep the text readable rather than failing.
    return value.slice(1, -1).replace(/\\(.)/g, '$1');
  }
}

function parseLogfmt(line: string): KanikoLine | undefined {
  if (!line.startsWith('time=') && !line.startsWith('level=')) return undefined;
  const fields: Record<string, string> = {};
  for (const m of line.matchAll(LOGFMT_PAIR_RE)) fields[m[1]!] = unquote(m[2]!);
  const level = fields.level;
  if (level === undefined || !LEVELS.has(level) || fields.msg === undefined) return undefined;
  return { level: level as KanikoLevel, message: fields.msg };
}

/** One output line (without its newline) → level and message. */
export function parseKanikoLine(raw: string): KanikoLine {
  const line = raw.replace(ANSI_RE, '').replace(/\r$/, '');
  const logfmt = parseLogfmt(line);
  if (logfmt) return logfmt;
  const color = COLOR_LINE_RE.exec(line);
  if (color) return { level: SHORT_LEVELS[color[1]!]!, message: color[2]! };
  return { level: undefined, message: line };
}

const CACHE_HIT_RE = /^Using caching version of cmd: (.*)$/;
const CACHE_MISS_RE = /^No cached layer found for cmd (.*)$/;
const CACHE_LAYER_RE = /^Pushing layer (\S+) to cache now$/;
const PUSHING_RE = /^Pushing image to (\S+)$/;
const PUSHED_RE = /^Pushed (\S+)@(sha256:[a-f0-9]{64})$/;

/** `registry:5000/repo:tag` → `registry:5000/repo` (a colon after the last slash starts the tag). */
function repositoryOf(ref: string): string {
  const name = ref.split('@')[0]!;
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? name.slice(0, colon) : name;
}

/**
 * Incremental reader: `write()` chunks as they arrive (lines may be split across chunks), `end()` for the report.
 * Cache-layer pushes and image pushes both log "Pushed repo@digest"; they are told apart by counting the pushes
 * announced for cache layers ("Pushing layer X to cache now", then "Pushing image to X") per repository, so a cache
 * repository equal to the destination repository is still counted right.
 */
export class KanikoOutputParser {
  private partial = '';
  private readonly cacheLayerRefs = new Set<string>();
  private readonly pendingCachePushes = new Map<string, number>();
  private readonly report: KanikoReport = {
    stages: 0,
    cacheHits: [],
    cacheMisses: [],
    cachePushes: 0,
    pushed: [],
    pushSkipped: false,
    error: undefined,
  };

  write(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  end(): KanikoReport {
    if (this.partial !== '') this.line(this.partial);
    this.partial = '';
    return {
      ...this.report,
      cacheHits: [...this.report.cacheHits],
      cacheMisses: [...this.report.cacheMisses],
      pushed: [...this.report.pushed],
    };
  }

  private line(raw: string): void {
    const { level, message } = parseKanikoLine(raw);
    const r = this.report;
    if (level === undefined) {
      if (message.startsWith('error building image:')) r.error = message;
      return;
    }
    if (level === 'error' || level === 'fatal' || level === 'panic') {
      r.error = message;
      return;
    }
    let m: RegExpExecArray | null;
    if (message.startsWith('Building stage ')) r.stages++;
    else if ((m = CACHE_HIT_RE.exec(message))) r.cacheHits.push(m[1]!);
    else if ((m = CACHE_MISS_RE.exec(message))) r.cacheMisses.push(m[1]!);
    else if ((m = CACHE_LAYER_RE.exec(message))) this.cacheLayerRefs.add(m[1]!);
    else if ((m = PUSHING_RE.exec(message))) {
      if (this.cacheLayerRefs.has(m[1]!)) {
        const repo = repositoryOf(m[1]!);
        this.pendingCachePushes.set(repo, (this.pendingCachePushes.get(repo) ?? 0) + 1);
      }
    } else if ((m = PUSHED_RE.exec(message))) {
      const pending = this.pendingCachePushes.get(m[1]!) ?? 0;
      if (pending > 0) {
        this.pendingCachePushes.set(m[1]!, pending - 1);
        r.cachePushes++;
      } else {
        r.pushed.push({ repository: m[1]!, digest: m[2]! });
      }
    } else if (message.startsWith('Skipping push to container registry')) r.pushSkipped = true;
  }
}

/** The report for a complete output. */
export function parseKanikoOutput(text: string): KanikoReport {
  const parser = new KanikoOutputParser();
  parser.write(text);
  return parser.end();
}
