/**
 * A throw-away repository that builds an image with ./actions/build-image under `eci-virtual run` (used by the
 * kaniko e2e test and `yarn bench kaniko`): the two actions (action.yml + a bundle built from the current sources into
 * the workspace, never over the committed dist/index.cjs), a two-stage Dockerfile with
 * a COPY from the workspace and a RUN, `.github/eci-virtual.yml` (placement, image cache, kaniko cache) and a
 * workflow whose `build` job checks out, reports placement and builds, and whose `use` job runs the image.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

export interface KanikoWorkspace {
  dir: string;
  /** Repository of the built image (no registry), e.g. e2e/kaniko-app. */
  repo: string;
  tag: string;
  /** `registry/repo:tag` as the host (and the engine) spell it. */
  hostImage: string;
}

/** Builds `action` from its current sources into `outfile` (actions/bundle.mjs, the committed bundles' build). */
function bundleAction(action: string, outfile: string): void {
  const r = spawnSync(process.execPath, [join(repoRoot, 'actions', 'bundle.mjs'), action, '--outfile', outfile], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`bundling actions/${action} failed: ${r.stderr}`);
}

export function writeKanikoWorkspace(opts: {
  /** The local registry as the host reaches it (127.0.0.1:5001) and as pods do (10.88.0.1:5001). */
  registry: string;
  podRegistry: string;
  baseImage: string;
  repo: string;
  tag: string;
  cacheRepo: string;
}): KanikoWorkspace {
  const { registry, podRegistry: pod, baseImage: base, repo, tag, cacheRepo } = opts;
  const dir = mkdtempSync(join(tmpdir(), 'eci-kaniko-ws-'));
  for (const action of ['build-image', 'placement']) {
    mkdirSync(join(dir, 'actions', action), { recursive: true });
    cpSync(join(repoRoot, 'actions', action, 'action.yml'), join(dir, 'actions', action, 'action.yml'));
    bundleAction(action, join(dir, 'actions', action, 'dist', 'index.cjs'));
  }
  mkdirSync(join(dir, 'app'));
  mkdirSync(join(dir, '.github', 'workflows'), { recursive: true });
  writeFileSync(join(dir, 'app', 'hello.txt'), 'hello from the workspace\n');
  writeFileSync(
    join(dir, 'app', 'Dockerfile'),
    [
      `FROM ${base} AS build`,
      'COPY hello.txt /src/hello.txt',
      'RUN sed "s/hello/built/" /src/hello.txt > /src/out.txt && echo "stage one ran" >> /src/out.txt',
      `FROM ${base}`,
      'COPY --from=build /src/out.txt /out.txt',
      'CMD ["cat", "/out.txt"]',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, '.github', 'eci-virtual.yml'),
    [
      'placement:',
      '  cpu: "1"',
      '  memory: 768Mi',
      '  eciSpecs: [ecs.c6.large]',
      'imageCache:',
      `  images: [${base}]`,
      '  pullPolicy: IfNotPresent',
      '  kaniko:',
      `    cacheRepo: ${cacheRepo}`,
      '    cacheTtl: 24h',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, '.github', 'workflows', 'build.yml'),
    `name: image
on: push
jobs:
  build:
    runs-on: eci-virtual
    steps:
      - uses: actions/checkout@v4
      - id: where
        uses: ./actions/placement
      - id: img
        uses: ./actions/build-image
        with:
          context: app
          destination: ${pod}/${repo}:${tag}
          cache: true
          cache-repo: ${cacheRepo}
          insecure-registries: ${pod}
          registry-map: ${registry}=${pod}
      - run: echo "digest=\${{ steps.img.outputs.digest }} hits=\${{ steps.img.outputs.cache-hits }} node=\${{ steps.where.outputs.node-type }}"
  use:
    needs: build
    runs-on: eci-virtual
    steps:
      - uses: docker://${registry}/${repo}:${tag}
        with:
          entrypoint: cat
          args: /out.txt
`,
  );
  return { dir, repo, tag, hostImage: `${registry}/${repo}:${tag}` };
}

/** The digest the registry serves for `repo:tag` (what `docker pull` would get). */
export async function registryDigest(registry: string, repo: string, tag: string): Promise<string | null> {
  const res = await fetch(`http://${registry}/v2/${repo}/manifests/${tag}`, {
    method: 'HEAD',
    headers: {
      accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
    },
  });
  return res.headers.get('docker-content-digest');
}
