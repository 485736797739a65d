/** The helm binary for tests (built from its Go module and cached, see runner/scripts/lib/go-tools.ts). */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ensureHelm } from '../../scripts/lib/go-tools.js';

const run = promisify(execFile);

export async function helm(
  args: string[],
  kubeconfig: string,
): Promise<{ stdout: string; stderr: string; code: number }> {
  const bin = await ensureHelm();
  try {
    const { stdout, stderr } = await run(bin, args, {
      env: {
        ...process.env,
        KUBECONFIG: kubeconfig,
        HELM_CACHE_HOME: '/tmp/eci-virtual-helm/cache',
        HELM_CONFIG_HOME: '/tmp/eci-virtual-helm/config',
        HELM_DATA_HOME: '/tmp/eci-virtual-helm/data',
      },
      maxBuffer: 32 * 1024 * 1024,
    });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; code?: number };
    return { stdout: e.stdout ?? '', stderr: e.stderr ?? String(err), code: typeof e.code === 'number' ? e.code : 1 };
  }
}
