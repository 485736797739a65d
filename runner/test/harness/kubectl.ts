/** Runs the real kubectl of the test cluster's release against the test kubeconfig. */
import { spawn } from 'node:child_process';
import { readTestEnv } from './env.js';

export interface KubectlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function kubectl(
  args: string[],
  opts: { input?: string; timeoutMs?: number; onStdout?: (chunk: string) => void } = {},
): Promise<KubectlResult> {
  const env = readTestEnv();
  return new Promise((resolve, reject) => {
    const child = spawn(env.kubectl, ['--kubeconfig', env.kubeconfig, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      opts.onStdout?.(c.toString());
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}
