/** Test set-up: `n` one-job runs of `repo` queued in the emulator without webhooks, oldest first. */
import type { GitHubEmulator } from './server.js';
import type { EmuJob } from './state.js';

export async function queuePlainJobs(e: GitHubEmulator, repo: string, n: number): Promise<EmuJob[]> {
  const jobs: EmuJob[] = [];
  for (let i = 0; i < n; i++)
    jobs.push(
      await e.queueJob({
        repo,
        workflowPath: '.github/workflows/ci.yml',
        workflowText: 'on: push',
        name: `job ${i}`,
        labels: ['self-hosted', 'eci-virtual'],
        message: { steps: [] },
        webhook: false,
      }),
    );
  return jobs;
}
