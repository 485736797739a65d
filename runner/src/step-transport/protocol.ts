/** Parses the launcher's stderr trailer (see launcher.ts). Incremental: feed chunks as they arrive. */

export type FileName = 'env' | 'output' | 'path' | 'summary' | 'state';

export interface StepOutcome {
  exitCode: number;
  files: Partial<Record<FileName, string>>;
}

export class TrailerParser {
  private buffer: Buffer = Buffer.alloc(0);
  private exitCode: number | undefined;
  private readonly files: Partial<Record<FileName, string>> = {};
  private pendingFile: { name: FileName; size: number } | undefined;
  private ended = false;
  /** Anything on stderr that is not protocol (shell diagnostics), for logs. */
  readonly noise: string[] = [];

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    for (;;) {
      if (this.pendingFile) {
        if (this.buffer.length < this.pendingFile.size) return;
        this.files[this.pendingFile.name] = this.buffer.subarray(0, this.pendingFile.size).toString('utf8');
        this.buffer = this.buffer.subarray(this.pendingFile.size);
        this.pendingFile = undefined;
        continue;
      }
      const nl = this.buffer.indexOf(10);
      if (nl < 0) return;
      const line = this.buffer.subarray(0, nl).toString('utf8');
      this.buffer = this.buffer.subarray(nl + 1);
      this.line(line);
    }
  }

  private line(line: string): void {
    let m: RegExpExecArray | null;
    if ((m = /^::eci-result::(\d+)$/.exec(line))) this.exitCode = Number(m[1]);
    else if ((m = /^::eci-file::(env|output|path|summary|state)::(\d+)$/.exec(line)))
      this.pendingFile = { name: m[1] as FileName, size: Number(m[2]) };
    else if (line === '::eci-end::') this.ended = true;
    else if (line.trim()) this.noise.push(line);
  }

  /**
   * The files once `::eci-end::` arrived, for a trailer without a result line (the agent path reads the files in a
   * step of their own and takes the exit code from the agent); undefined means it broke before the end.
   */
  filesOutcome(): StepOutcome['files'] | undefined {
    if (!this.ended || this.pendingFile) return undefined;
    return { ...this.files };
  }

  /** The outcome once the whole trailer arrived; undefined means the transport broke before the end. */
  outcome(): StepOutcome | undefined {
    if (!this.ended || this.exitCode === undefined || this.pendingFile) return undefined;
    return { exitCode: this.exitCode, files: { ...this.files } };
  }
}
