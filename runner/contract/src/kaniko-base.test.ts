import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { KANIKO_BASE_MARKER, KANIKO_BASE_SCAN, MAX_KANIKO_BASES, kanikoBaseImagesFromLog } from './kaniko-base.js';
import { SPOOL_AGENT } from './spool-agent.js';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
/** Real kaniko v1.27.5 output (see that directory's README.md). */
const FIXTURES = join(here, '../../../actions/build-image/src/kaniko/fixtures');

describe('kanikoBaseImagesFromLog', () => {
  it('reads the marker lines only, each image once in order of appearance', () => {
    const log = [
      'eci-virtual kaniko-base golang:1.23@sha256:' + 'a'.repeat(64),
      'some error the agent wrote to stderr',
      'eci-virtual kaniko-base 127.0.0.1:5001/eci-virtual/busybox:latest',
      'eci-virtual kaniko-base golang:1.23@sha256:' + 'a'.repeat(64),
      '  eci-virtual kaniko-base indented:1',
      'eci-virtual kaniko-base debian:12\r',
      '',
    ].join('\n');
    expect(kanikoBaseImagesFromLog(log)).toEqual([
      'golang:1.23@sha256:' + 'a'.repeat(64),
      '127.0.0.1:5001/eci-virtual/busybox:latest',
      'debian:12',
    ]);
  });

  it('leaves out scratch, empty and malformed references', () => {
    const log = ['scratch', '', 'a b', 'x"y', '\u001b[0mdebian', 'ok/image:1'].map((r) => KANIKO_BASE_MARKER + r);
    expect(kanikoBaseImagesFromLog(log.join('\n'))).toEqual(['ok/image:1']);
  });

  it('keeps at most MAX_KANIKO_BASES', () => {
    const log = Array.from({ length: MAX_KANIKO_BASES + 5 }, (_, n) => `${KANIKO_BASE_MARKER}img${n}:1`).join('\n');
    const out = kanikoBaseImagesFromLog(log);
    expect(out).toHaveLength(MAX_KANIKO_BASES);
    expect(out[0]).toBe('img0:1');
  });
});

/** Kaniko output of a three-stage build (logfmt and color records, a scratch stage, the build's own output). */
const SAMPLE = [
  'time="2026-11-22T16:44:40Z" level=info msg="Retrieving image manifest golang:1.23"',
  'time="2026-11-22T16:44:40Z" level=info msg="Retrieving image golang:1.23 from registry index.docker.io"',
  'time="2026-11-22T16:44:41Z" level=info msg="Retrieving image manifest golang:1.23"',
  '\u001b[36mINFO\u001b[0m[0002] Retrieving image manifest gcr.io/distroless/static:nonroot ',
  '\u001b[36mINFO\u001b[0m[0002] Retrieving image manifest scratch ',
  'time="2026-11-22T16:44:42Z" level=info msg="Retrieving image manifest 127.0.0.1:5001/eci-virtual/busybox@sha256:' +
    'b'.repeat(64) +
    '"',
  'go: downloading example.com/mod v1.0.0',
  'time="2026-11-22T16:44:50Z" level=info msg="Pushing image to 127.0.0.1:5001/out:1"',
].join('\n');
const SAMPLE_BASES = [
  '127.0.0.1:5001/eci-virtual/busybox@sha256:' + 'b'.repeat(64),
  'gcr.io/distroless/static:nonroot',
  'golang:1.23',
].sort();

/** Where a real busybox is on this machine, to run the scan with busybox's own sh, grep, sed and sort. */
const BUSYBOX = ['/usr/bin/busybox', '/bin/busybox'].find((p) => existsSync(p));

describe('the spool agent scan (KANIKO_BASE_SCAN, real sh)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'eci-kaniko-base-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const scan = async (shell: string[], log: string, env: NodeJS.ProcessEnv = process.env) => {
    const file = join(dir, `log-${Math.random().toString(36).slice(2)}`);
    await writeFile(file, log);
    const { stdout } = await run(
      shell[0]!,
      [...shell.slice(1), '-c', `${KANIKO_BASE_SCAN}\nkaniko_bases "$1"`, 'x', file],
      {
        env,
      },
    );
    return stdout;
  };

  it('is the function the agent runs after each request', () => {
    expect(SPOOL_AGENT).toContain(KANIKO_BASE_SCAN);
    // Once the script exited, before its result is written: the log is complete, and the markers are in the
    // container's log before the requester can go on.
    expect(SPOOL_AGENT).toMatch(/wait "\$!"; rc=\$\?\s+kaniko_bases "\$d\/log"\s+echo "\$rc" > "\$d\/result.tmp"/);
  });

  it('prints one marker line per distinct base image, scratch left out (/bin/sh)', async () => {
    const out = await scan(['/bin/sh'], SAMPLE);
    expect(out.split('\n').filter(Boolean)).toEqual(SAMPLE_BASES.map((r) => KANIKO_BASE_MARKER + r));
    expect(kanikoBaseImagesFromLog(out).sort()).toEqual(SAMPLE_BASES);
  });

  it('reads real kaniko output in both formats', async () => {
    for (const fixture of ['multistage-cold.txt', 'color-format.txt']) {
      const out = await scan(['/bin/sh'], await readFile(join(FIXTURES, fixture), 'utf8'));
      expect(kanikoBaseImagesFromLog(out)).toEqual(['127.0.0.1:5001/eci-virtual/busybox:latest']);
    }
  });

  it('prints nothing for output without base images, or a missing log', async () => {
    expect(await scan(['/bin/sh'], 'hello\nINFO[0000] Built cross stage deps: map[]\n')).toBe('');
    const { stdout } = await run('/bin/sh', ['-c', `${KANIKO_BASE_SCAN}\nkaniko_bases "$1"`, 'x', join(dir, 'nope')]);
    expect(stdout).toBe('');
  });

  (BUSYBOX ? it : it.skip)('works with busybox sh, grep, sed and sort alone (the kaniko image)', async () => {
    const bin = join(dir, 'bin');
    await run('mkdir', ['-p', bin]);
    for (const applet of ['sh', 'grep', 'sed', 'sort']) await symlink(BUSYBOX!, join(bin, applet));
    const out = await scan([join(bin, 'sh')], SAMPLE, { PATH: bin });
    expect(out.split('\n').filter(Boolean)).toEqual(SAMPLE_BASES.map((r) => KANIKO_BASE_MARKER + r));
    const cold = await scan([join(bin, 'sh')], await readFile(join(FIXTURES, 'color-format.txt'), 'utf8'), {
      PATH: bin,
    });
    expect(kanikoBaseImagesFromLog(cold)).toEqual(['127.0.0.1:5001/eci-virtual/busybox:latest']);
  });
});
