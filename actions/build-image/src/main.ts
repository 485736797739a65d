/**
 * `actions/build-image`: builds an image with kaniko in the job pod's kaniko container and pushes it. Runs in the
 * job container (Node ≥ 18); the build itself is handed to the kaniko container over the shared workspace
 * (spool-client.ts; the agent side is the contract's spool-agent.ts), streamed to the step log as it happens, and summarised in the job summary.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import * as core from '@actions/core';
import { CONTAINER, describeError, PATHS, shellQuote } from '@eci-virtual/contract';
import { kanikoArgs } from './kaniko/kaniko-args.js';
import { KanikoOutputParser, type KanikoReport } from './kaniko/kaniko-output.js';
import { runSpooled } from './spool-client.js';
import { planBuild, repositoryOf, type RawInputs } from './inputs.js';
import { humanBytes, imageSize } from './registry-size.js';

const input = (name: string) => core.getInput(name);

function rawInputs(): RawInputs {
  return {
    context: input('context'),
    dockerfile: input('dockerfile'),
    destination: input('destination'),
    buildArgs: input('build_args'),
    target: input('target'),
    cache: input('cache'),
    cacheRepo: input('cache_repo'),
    cacheTtl: input('cache_ttl'),
    push: input('push'),
    registryMirror: input('registry_mirror'),
    insecureRegistries: input('insecure_registries'),
    registryMap: input('registry_map'),
  };
}

async function summarise(rows: [string, string][], report: KanikoReport, ok: boolean): Promise<void> {
  await core.summary
    .addHeading(ok ? 'Image built with kaniko' : 'Image build failed', 3)
    .addTable([
      [
        { data: 'what', header: true },
        { data: 'value', header: true },
      ],
      ...rows,
      ['stages', String(report.stages)],
      ['cache hits', `${report.cacheHits.length} of ${report.cacheHits.length + report.cacheMisses.length}`],
    ])
    .write();
}

async function main(): Promise<void> {
  const workspace = process.env.GITHUB_WORKSPACE ?? process.cwd();
  const plan = planBuild(rawInputs(), workspace);
  plan.secretValues.forEach((v) => core.setSecret(v));
  const outDir = join(PATHS.temp, '_eci', 'builds', `${Date.now()}-${process.pid}`);
  await mkdir(outDir, { recursive: true });
  const digestFile = join(outDir, 'digest');
  const argv = kanikoArgs({ ...plan.options, ...(plan.options.noPush ? {} : { digestFile }) });
  const spoolDir = process.env.ECI_VIRTUAL_KANIKO_SPOOL ?? join(PATHS.spool, CONTAINER.kaniko);

  const abort = new AbortController();
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => abort.abort());
  const parser = new KanikoOutputParser();
  const decoder = new StringDecoder('utf8');
  const started = Date.now();
  core.info(`kaniko: building ${plan.dockerfilePath} → ${plan.options.destinations.join(', ') || '(no push)'}`);
  const run = await runSpooled({
    spoolDir,
    script: `cd / && exec ${argv.map(shellQuote).join(' ')}\n`,
    helper: 'the kaniko container',
    signal: abort.signal,
    onOutput: (chunk) => {
      process.stdout.write(chunk);
      parser.write(decoder.write(chunk));
    },
  });
  parser.write(decoder.end());
  const report = parser.end();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const rows: [string, string][] = [['duration', `${seconds} s`]];
  if (run.exitCode !== 0) {
    await summarise([...rows, ['error', report.error ?? `exit code ${run.exitCode}`]], report, false);
    core.setFailed(`kaniko failed (exit code ${run.exitCode}): ${report.error ?? 'see the build output above'}`);
    return;
  }
  core.setOutput('cache-hits', String(report.cacheHits.length));
  core.setOutput('duration-seconds', seconds);
  if (plan.options.noPush) {
    await summarise([...rows, ['image', 'not pushed (push: false)']], report, true);
    return;
  }
  const digest = (await readFile(digestFile, 'utf8')).trim();
  const repository = repositoryOf(plan.options.destinations[0]!);
  const image = `${repository}@${digest}`;
  core.setOutput('digest', digest);
  core.setOutput('image', image);
  const insecure = (plan.options.insecureRegistries ?? []).includes(repository.split('/')[0]!);
  const size = await imageSize(repository, digest, insecure);
  await summarise(
    [
      ['image', plan.options.destinations.join('<br>')],
      ['digest', `\`${digest}\``],
      ['size (compressed)', humanBytes(size)],
      ...rows,
    ],
    report,
    true,
  );
  core.info(`kaniko: pushed ${image} in ${seconds} s (${report.cacheHits.length} cache hits)`);
}

main().catch((err: unknown) => core.setFailed(describeError(err)));
