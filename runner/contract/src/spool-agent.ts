import { KANIKO_BASE_SCAN } from './kaniko-base.js';

/**
 * The idle loop of a job pod's helper container (the `kaniko` container): it runs work that steps in OTHER
 * containers of the pod hand over on the shared workspace emptyDir, one request at a time.
 *
 * Why not an exec: a step runs in the job container, which holds no Kubernetes credentials (the job's token is only in
 * the runner container, and `eci-virtual run` gives the pod none), so it cannot exec into its neighbour. Both see the
 * emptyDir, so the hand-over goes through it, with the step transport's durable layout (launcher.ts): the request's
 * `wrapper.sh` runs in its own session with stdout+stderr appended to `log`, and its exit code lands in `result` by an
 * atomic rename — the requester follows `log` by byte offset and never loses output or the exit code.
 *
 * Layout of `<spool>/` (see spool-client.ts for the other side):
 *   .agent                 heartbeat: the agent rewrites it every ~2 s (`<epoch seconds>`), so a requester can tell
 *                          at once that no agent runs (container missing, crashed) instead of waiting forever
 *   <id>/wrapper.sh        the request; the directory appears by rename, complete
 *   <id>/claimed/          the agent took it (mkdir is atomic)
 *   <id>/pid, log          running
 *   <id>/cancel            written by the requester; the agent sends SIGTERM, then SIGKILL 10 s later
 *   <id>/result            exit code (143/137 after a cancel)
 *
 * Requests run one after another, oldest id first: kaniko rewrites its container's root filesystem, so two builds in
 * one container must never overlap. When a request's script has exited, the agent prints the base images kaniko
 * retrieved in it to its own stdout, one marker line each (kaniko-base.ts), for the controller to read from the
 * container's log — before it writes the result, so they are in the log before the step (and the runner) can go on. POSIX sh + busybox (setsid, date, sleep, kill, mkdir, mv, grep, sed, sort) only.
 */
export const SPOOL_AGENT = String.raw`set -u
${KANIKO_BASE_SCAN}
spool="$1"; shell="$2"
# Steps run as whatever user their image says; like /tmp, every directory the agent creates admits them all
# (sticky: nobody removes another user's requests) - from the spool up to, not including, the workspace root
# (/__w/_temp/_eci/spool/kaniko -> kaniko, spool, _eci, _temp). They are created world-writable at once (umask 0 in a
# subshell), so a step of another user that writes into _temp while the agent starts never meets a root-only
# directory; then made sticky. The agent runs as root and writes into any request.
(umask 0; mkdir -p "$spool")
p="$spool"
while case "$p" in /*/*) true ;; *) false ;; esac; do chmod 1777 "$p" 2>/dev/null; p=$(dirname "$p"); done
trap 'exit 0' TERM INT
beat=0
while :; do
  now=$(date +%s)
  if [ "$now" -ge "$beat" ]; then echo "$now" > "$spool/.agent.tmp" && mv "$spool/.agent.tmp" "$spool/.agent"; beat=$((now + 2)); fi
  for d in "$spool"/*; do
    [ -f "$d/wrapper.sh" ] || continue
    [ -e "$d/result" ] && continue
    mkdir "$d/claimed" 2>/dev/null || continue
    : >> "$d/log"
    (
      setsid "$shell" "$d/wrapper.sh" >> "$d/log" 2>&1 < /dev/null &
      echo "$!" > "$d/pid"
      wait "$!"; rc=$?
      kaniko_bases "$d/log"
      echo "$rc" > "$d/result.tmp"; mv "$d/result.tmp" "$d/result"
    ) &
    killed=0
    until [ -e "$d/result" ]; do
      now=$(date +%s)
      if [ "$now" -ge "$beat" ]; then echo "$now" > "$spool/.agent.tmp" && mv "$spool/.agent.tmp" "$spool/.agent"; beat=$((now + 2)); fi
      if [ -e "$d/cancel" ] && [ -s "$d/pid" ]; then
        pid=$(cat "$d/pid")
        if [ "$killed" = 0 ]; then kill -TERM -- -"$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null; killed=$((now + 10));
        elif [ "$now" -ge "$killed" ]; then kill -KILL -- -"$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null; fi
      fi
      sleep 0.1
    done
    wait
  done
  sleep 0.1
done
`;

/** The container command that runs the agent (shell path: the container's own, e.g. `/busybox/sh` for kaniko). */
export function spoolAgentCommand(shell: string, spoolDir: string): string[] {
  return [shell, '-c', SPOOL_AGENT, 'eci-spool-agent', spoolDir, shell];
}
