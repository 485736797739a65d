/**
 * The shell side of the step transport, run by ONE exec per step (a second one only after a dropped connection).
 *
 * Launch (idempotent through an atomic `mkdir` guard): stdin — the generated step wrapper — is saved to the step's
 * directory on the emptyDir workspace and started in its own session (setsid), with stdout+stderr appended to `log`
 * and the exit code written to `result` by an atomic rename. The step therefore keeps running, and its output keeps
 * being recorded, whatever happens to the exec connection.
 *
 * Follow: prints `log` from a byte offset to stdout until `result` exists, then reports on stderr:
 *   ::eci-result::<exit code>
 *   ::eci-file::<name>::<bytes>\n<content>      (GITHUB_ENV/OUTPUT/PATH/STEP_SUMMARY contents, when non-empty)
 *   ::eci-end::
 * A step directory that cannot be written (the job image runs as a user the workspace does not admit) ends at once
 * with exit code 126 and a line saying so, instead of a follow loop waiting for a log that never comes.
 *
 * stderr carries only this protocol, so it can be parsed safely; a missing trailer means the transport failed (the
 * engine reconnects from its offset) — never that the step succeeded.
 *
 * POSIX sh + coreutils/busybox only (wc, tail, head, sleep, setsid, mkdir, mv), so any job image with /bin/sh works.
 * Polling backs off from 10 ms to 200 ms: short steps finish fast, long ones cost little CPU.
 */
export const LAUNCHER = String.raw`set -u
d="$1"; off="$2"; mode="$3"
if ! mkdir -p "$d" 2>/dev/null || ! [ -w "$d" ]; then
  cat > /dev/null
  echo "eci-virtual: cannot write the step directory $d as uid $(id -u 2>/dev/null || echo ?); the workspace must be writable by the job container's user"
  echo "::eci-result::126" >&2; echo "::eci-end::" >&2
  exit 0
fi
if [ "$mode" = launch ] && mkdir "$d/launched" 2>/dev/null; then
  cat > "$d/wrapper.sh"
  : > "$d/log"
  setsid /bin/sh -c '/bin/sh "$1/wrapper.sh" >> "$1/log" 2>&1 < /dev/null; echo $? > "$1/result.tmp"; mv "$1/result.tmp" "$1/result"' eci-step "$d" &
  echo $! > "$d/pid"
else
  cat > /dev/null
fi
i=0
while :; do
  fin=; [ -e "$d/result" ] && fin=1
  size=$(wc -c < "$d/log")
  if [ "$size" -gt "$off" ]; then
    tail -c +"$((off + 1))" "$d/log" | head -c "$((size - off))"
    off=$size
  fi
  [ -n "$fin" ] && break
  i=$((i + 1))
  if [ "$i" -lt 20 ]; then sleep 0.01; elif [ "$i" -lt 100 ]; then sleep 0.05; else sleep 0.2; fi
done
echo "::eci-result::$(cat "$d/result")" >&2
for f in env output path summary state; do
  if [ -s "$d/$f" ]; then printf '::eci-file::%s::%s\n' "$f" "$(wc -c < "$d/$f")" >&2; cat "$d/$f" >&2; fi
done
echo "::eci-end::" >&2
`;

/** Signals the step's whole process group (the setsid leader's pid is the group id). */
export const KILLER = String.raw`d="$1"; sig="$2"
[ -e "$d/result" ] && exit 0
pid=$(cat "$d/pid" 2>/dev/null) || exit 0
kill -"$sig" -- -"$pid" 2>/dev/null || kill -"$sig" "$pid" 2>/dev/null || true
`;
