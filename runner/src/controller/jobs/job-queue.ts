/**
 * Jobs waiting for a pod slot. Fair across repositories: slots go round-robin over repositories with waiting jobs
 * (FIFO within one), so one repository's burst cannot starve the others; a per-repository cap bounds its share.
 */
import type { WorkflowJob } from '../github/workflow-job.js';

export class FairJobQueue {
  private readonly byRepo = new Map<string, WorkflowJob[]>();
  private readonly ids = new Set<number>();
  private order: string[] = [];

  get size(): number {
    return this.ids.size;
  }

  has(jobId: number): boolean {
    return this.ids.has(jobId);
  }

  push(job: WorkflowJob): boolean {
    if (this.ids.has(job.id)) return false;
    this.ids.add(job.id);
    const list = this.byRepo.get(job.repo);
    if (list) list.push(job);
    else {
      this.byRepo.set(job.repo, [job]);
      this.order.push(job.repo);
    }
    return true;
  }

  remove(jobId: number): boolean {
    if (!this.ids.delete(jobId)) return false;
    for (const [repo, list] of this.byRepo) {
      const i = list.findIndex((j) => j.id === jobId);
      if (i >= 0) {
        list.splice(i, 1);
        if (!list.length) this.drop(repo);
        break;
      }
    }
    return true;
  }

  /** The next job whose repository is below `limit(repo)` running jobs; rotates the repository to the back. */
  next(runningIn: (repo: string) => number, limit: number): WorkflowJob | undefined {
    for (let i = 0; i < this.order.length; i++) {
      const repo = this.order[i]!;
      if (runningIn(repo) >= limit) continue;
      const list = this.byRepo.get(repo)!;
      const job = list.shift()!;
      this.ids.delete(job.id);
      this.order.splice(i, 1);
      if (list.length) this.order.push(repo);
      else this.byRepo.delete(repo);
      return job;
    }
    return undefined;
  }

  private drop(repo: string): void {
    this.byRepo.delete(repo);
    this.order = this.order.filter((r) => r !== repo);
  }
}
