/**
 * Builds the in-pod step agent (runner/agent, Go standard library only) into a static binary, cached per user under
 * ~/.cache/eci-virtual/agent/<hash>/eci-agent where the hash covers the Go sources, go.mod and the Go version, so an
 * unchanged agent is never rebuilt and a changed one never reused. `ensureAgent()` returns the path.
 *
 * CGO_ENABLED=0, -trimpath, -ldflags "-s -w": the binary must run in any image (no libc, no shell) and is copied into
 * every job pod, so it is static and stripped. GOPROXY=off and GOFLAGS=-mod=mod make a build that would need a
 * module download fail at once instead of reaching for the network.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { Internal, MissingTool } from '@eci-virtual/contract';
import { withLock } from './lock.js';
import { cacheDir, repoRoot } from './paths.js';

const run = promisify(execFile);

/** The agent's Go module. */
export const agentSourceDir = join(repoRoot, 'runner', 'agent');
export const AGENT_BINARY = 'eci-agent';
const LDFLAGS = '-s -w';

export function goBuildEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CGO_ENABLED: '0',
    GOFLAGS: '-mod=mod -buildvcs=false',
    GOPROXY: 'off',
    GOTOOLCHAIN: 'local',
  };
}

/** The files that decide the binary: go.mod, go.sum and every non-test .go file, in a stable order. */
function sourceFiles(dir = agentSourceDir): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (/^go\.(mod|sum)$/.test(e.name) || (e.name.endsWith('.go') && !e.name.endsWith('_test.go'))) out.push(p);
  }
  return out.sort();
}

async function goVersion(): Promise<string> {
  try {
    return (await run('go', ['version'], { env: goBuildEnv() })).stdout.trim();
  } catch {
    throw new MissingTool('go is needed to build the step agent (runner/agent)', {
      hint: 'install Go 1.26+ (go.dev or your package manager)',
    });
  }
}

/** The cache key: sources, Go version and build flags. */
export async function agentBuildHash(): Promise<string> {
  const h = createHash('sha256');
  h.update(`${await goVersion()}\n${LDFLAGS}\n`);
  for (const f of sourceFiles()) {
    h.update(`${relative(agentSourceDir, f)}\n`);
    h.update(readFileSync(f));
    h.update('\n');
  }
  return h.digest('hex').slice(0, 16);
}

/** Returns the cached agent binary, building it first when these sources were never built here. */
export async function ensureAgent(log: (msg: string) => void = () => undefined): Promise<string> {
  const dir = join(cacheDir, 'agent', await agentBuildHash());
  const bin = join(dir, AGENT_BINARY);
  if (existsSync(bin)) return bin;
  return withLock(
    `${dir}.lock`,
    async () => {
      if (existsSync(bin)) return bin;
      const started = Date.now();
      log('building the step agent (runner/agent)');
      const partial = `${dir}.partial`;
      rmSync(partial, { recursive: true, force: true });
      mkdirSync(partial, { recursive: true });
      try {
        await run('go', ['build', '-trimpath', '-ldflags', LDFLAGS, '-o', join(partial, AGENT_BINARY), '.'], {
          cwd: agentSourceDir,
          env: goBuildEnv(),
          maxBuffer: 16 << 20,
        });
      } catch (err) {
        const e = err as { stderr?: string; message: string };
        throw new Internal(`go build of the step agent failed: ${(e.stderr ?? e.message).trim()}`);
      }
      rmSync(dir, { recursive: true, force: true });
      renameSync(partial, dir);
      log(`built the step agent in ${((Date.now() - started) / 1000).toFixed(1)} s: ${bin}`);
      return bin;
    },
    { timeoutMs: 10 * 60_000, log, what: 'building the step agent' },
  );
}

/** `go vet ./...` then `go test ./...` in the agent module; throws with their output when either fails. */
export async function checkAgentSources(): Promise<void> {
  for (const args of [
    ['vet', './...'],
    ['test', './...'],
  ]) {
    try {
      await run('go', args, { cwd: agentSourceDir, env: goBuildEnv(), maxBuffer: 16 << 20 });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      throw new Internal(`go ${args.join(' ')} failed in runner/agent:\n${e.stdout ?? ''}${e.stderr ?? e.message}`);
    }
  }
}
