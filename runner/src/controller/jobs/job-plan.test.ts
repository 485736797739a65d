import { describe, expect, it } from '@jest/globals';
import { planJob } from './job-plan.js';

const wf = `
name: CI
on: push
jobs:
  build:
    runs-on: eci-virtual
    container: node:20
    steps: [{ run: echo hi }]
  test:
    runs-on: eci-virtual
    strategy:
      matrix:
        node: [18, 20]
        db: [postgres]
    container:
      image: node:\${{ matrix.node }}
      env: { A: b }
    services:
      db:
        image: \${{ matrix.db }}:16
    steps:
      - uses: actions/checkout@v4
      - uses: docker://alpine:3.20
      - uses: docker://alpine:3.20
  named:
    runs-on: eci-virtual
    name: Lint \${{ matrix.tool }}
    strategy: { matrix: { tool: [eslint] } }
    steps: [{ run: echo }]
  dynamic:
    runs-on: eci-virtual
    container: \${{ github.event.inputs.image }}
    steps: [{ run: echo }]
`;

describe('planJob', () => {
  it('notices build-image steps (the pod then gets the kaniko container)', () => {
    const text = (uses: string) =>
      `on: push\njobs:\n  b:\n    runs-on: eci-virtual\n    steps: [{ uses: "${uses}" }]\n`;
    expect(planJob(text('./actions/build-image'), 'w.yml', 'b').buildsImages).toBe(true);
    expect(planJob(text('acme/eci-virtual/actions/build-image@v0.1.0'), 'w.yml', 'b').buildsImages).toBe(true);
    expect(planJob(text('./actions/build-images-elsewhere'), 'w.yml', 'b').buildsImages).toBeUndefined();
  });

  it('resolves a plain job', () => {
    expect(planJob(wf, 'ci.yml', 'build')).toEqual({
      jobKey: 'build',
      container: { image: 'node:20', env: {} },
      services: [],
      stepImages: [],
    });
  });

  it('resolves matrix-expanded images by display name', () => {
    const p = planJob(wf, 'ci.yml', 'test (20, postgres)');
    expect(p).toEqual({
      jobKey: 'test',
      container: { image: 'node:20', env: { A: 'b' } },
      services: [{ name: 'db', image: 'postgres:16', env: {} }],
      stepImages: ['alpine:3.20'],
    });
  });

  it('matches jobs with an interpolated name', () => {
    expect(planJob(wf, 'ci.yml', 'Lint eslint').jobKey).toBe('named');
  });

  it('reports what it cannot resolve instead of failing', () => {
    expect(planJob(wf, 'ci.yml', 'dynamic').unresolved).toMatch(/container image .* cannot be resolved/);
    expect(planJob(wf, 'ci.yml', 'missing').unresolved).toMatch(/not found/);
    expect(planJob('jobs: [', 'bad.yml', 'x').unresolved).toMatch(/bad.yml/);
  });
});
