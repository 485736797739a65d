import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRepoSettings } from '../controller/settings/repo-settings.js';
import { loadWorkflowJobs } from '../local-run/from-workflow.js';
import { jobPlacement } from './run-command.js';
import { listJobs, renderList } from './run-list.js';

const WORKFLOW = `
name: ci
on: push
jobs:
  build:
    strategy:
      matrix:
        node: [20, 22]
    runs-on: eci-virtual
    container: node:\${{ matrix.node }}
    services:
      db:
        image: postgres:16
    steps:
      - run: npm test
      - uses: docker://alpine:3.20
        with: { args: echo hi }
  deploy:
    needs: build
    if: github.ref == 'refs/heads/main'
    runs-on: eci-virtual
    steps:
      - run: ./deploy
`;

function listed(settingsYaml?: string) {
  const dir = mkdtempSync(join(tmpdir(), 'eci-list-'));
  const file = join(dir, 'ci.yml');
  writeFileSync(file, WORKFLOW);
  const loaded = loadWorkflowJobs(file, { workspaceRoot: dir });
  const settings = settingsYaml ? parseRepoSettings(settingsYaml, 'f') : undefined;
  return listJobs(loaded.jobs, {
    expressions: loaded.expressions,
    repository: 'acme/app',
    defaultImage: 'debian:bookworm',
    shape: (spec) => jobPlacement(spec, settings, 'virtual', undefined),
  });
}

describe('eci-virtual run --list', () => {
  it('lists each matrix leg with its needs and pod: evaluated images, services, docker:// steps', () => {
    const rows = listed();
    expect(rows.map((r) => [r.name, r.needs, r.image])).toEqual([
      ['build (20)', [], 'node:20'],
      ['build (22)', [], 'node:22'],
      ['deploy', ['build'], 'debian:bookworm'],
    ]);
    expect(rows[0]).toMatchObject({
      services: [{ name: 'db', image: 'postgres:16' }],
      stepImages: [{ step: 2, image: 'alpine:3.20' }],
      kaniko: false,
      placement: 'virtual',
      steps: 2,
    });
    expect(rows[2]).toMatchObject({ if: "github.ref == 'refs/heads/main'", services: [], stepImages: [] });
  });

  it('takes cpu and memory from .github/eci-virtual.yml, and says when a job would be refused', () => {
    const rows = listed('jobs: { deploy: { cpu: "2", memory: 4Gi } }');
    expect(rows[2]).toMatchObject({ cpu: '2', memory: '4Gi' });
    expect(listed('imageCache: { kaniko: { enabled: true } }')[0]!.problem).toMatch(/no kaniko image is set/);
    const text = renderList(rows);
    expect(text).toContain('build (20)  (jobs.build)\n  pod       virtual node\n  job       node:20  (2 steps)');
    expect(text).toContain('deploy\n  needs     build\n');
    expect(text).toContain('  pod       virtual node, cpu 2, memory 4Gi\n');
    expect(text).toContain('  service   db: postgres:16\n  step 2    alpine:3.20\n');
  });
});
