/**
 * When a job is cancelled: the caller's signal (Ctrl-C) or the job's `timeout-minutes` (GitHub's default: 360).
 * Either one first marks the job cancelled (`onCancel`, so `if:` of the remaining steps sees `cancelled()`), then
 * aborts `signal`, which everything the job waits on listens to: the pod start and the running step.
 */
export const DEFAULT_JOB_TIMEOUT_MINUTES = 360;

export interface JobCancellationOptions {
  /** The caller's cancellation (`eci-virtual run`: SIGINT/SIGTERM). */
  signal?: AbortSignal;
  timeoutMinutes?: number;
  onCancel: () => void;
  warn: (message: string) => void;
}

export class JobCancellation {
  private readonly abort = new AbortController();
  /** Aborted once the job is cancelled. */
  readonly signal = this.abort.signal;
  /** Why the job failed from outside its steps (fail()), if it did. */
  failure: string | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly cancel = () => {
    this.o.onCancel();
    this.abort.abort();
  };

  constructor(private readonly o: JobCancellationOptions) {}

  /** Starts listening to the caller's signal and the job's timeout. */
  start(): void {
    const minutes = this.o.timeoutMinutes ?? DEFAULT_JOB_TIMEOUT_MINUTES;
    this.o.signal?.addEventListener('abort', this.cancel, { once: true });
    this.timer = setTimeout(() => {
      this.o.warn(`job exceeded timeout-minutes (${minutes}); cancelling`);
      this.cancel();
    }, minutes * 60_000);
  }

  /**
   * Fails the job for a reason outside its steps (a service container that stopped): aborts `signal` like a cancel,
   * without marking the job cancelled; `failure` keeps the reason. The first reason wins.
   */
  fail(reason: string): void {
    if (this.abort.signal.aborted) return;
    this.failure = reason;
    this.abort.abort();
  }

  /** Stops both; the job is over. */
  stop(): void {
    clearTimeout(this.timer);
    this.o.signal?.removeEventListener('abort', this.cancel);
  }
}
