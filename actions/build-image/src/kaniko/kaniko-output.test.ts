import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { KanikoOutputParser, parseKanikoLine, parseKanikoOutput } from './kaniko-output.js';

/** Real executor output (kaniko v1.27.5 in an unprivileged Podman container), see fixtures/README.md. */
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('parseKanikoOutput on real output', () => {
  it('cold multi-stage build: cache misses, two cache layers pushed, the image pushed once', () => {
    expect(parseKanikoOutput(fixture('multistage-cold.txt'))).toEqual({
      stages: 2,
      cacheHits: [],
      cacheMisses: ['RUN mkdir -p /out && echo "compiled by stage build" > /out/stamp && sleep 2'],
      cachePushes: 2,
      pushed: [
        {
          repository: '10.88.0.1:5099/eci-virtual/kaniko-demo',
          digest: 'sha256:bead8f1b1a6441a36406dc7470d322f07a0b440e6dec3a5592fa45d724f1298a',
        },
      ],
      pushSkipped: false,
      error: undefined,
    });
  });

  it('second build of the same context: both RUN instructions come from the cache', () => {
    const report = parseKanikoOutput(fixture('multistage-cached.txt'));
    expect(report.cacheHits).toEqual([
      'RUN mkdir -p /out && echo "compiled by stage build" > /out/stamp && sleep 2',
      'RUN cat /out/hello.txt /out/stamp > /out/combined && dd if=/dev/zero of=/out/blob bs=1M count=4 2>/dev/null',
    ]);
    expect(report.cacheMisses).toEqual([]);
    expect(report.cachePushes).toBe(0);
    expect(report.pushed).toEqual([
      {
        repository: '10.88.0.1:5099/eci-virtual/kaniko-demo',
        digest: 'sha256:fdcecf66b238a10d2f465769a29e95cdacb78e845f847087b1e5b02763ec66d0',
      },
    ]);
  });

  it('failing RUN: the final error line, nothing pushed', () => {
    const report = parseKanikoOutput(fixture('run-fails.txt'));
    expect(report.error).toBe(
      'error building image: error building stage: failed to execute command: waiting for process to exit: exit status 3',
    );
    expect(report.pushed).toEqual([]);
    expect(report.stages).toBe(1);
  });

  it('default color format with --no-push', () => {
    const report = parseKanikoOutput(fixture('color-format.txt'));
    expect(report.stages).toBe(2);
    expect(report.pushSkipped).toBe(true);
    expect(report.error).toBeUndefined();
  });

  it('gives the same report when the output arrives in arbitrary chunks', () => {
    const text = fixture('multistage-cold.txt');
    const parser = new KanikoOutputParser();
    for (let i = 0; i < text.length; i += 37) parser.write(text.slice(i, i + 37));
    expect(parser.end()).toEqual(parseKanikoOutput(text));
  });
});

describe('parseKanikoLine', () => {
  it('reads logfmt records with escaped quotes', () => {
    expect(parseKanikoLine('time="2026-11-22T16:44:55Z" level=info msg="RUN echo \\"hi\\" > /x"')).toEqual({
      level: 'info',
      message: 'RUN echo "hi" > /x',
    });
    expect(parseKanikoLine('time="2026-11-22T16:44:55Z" level=warning msg=unquoted')).toEqual({
      level: 'warning',
      message: 'unquoted',
    });
  });

  it('reads color records and strips ANSI codes and the trailing padding', () => {
    expect(parseKanikoLine('\u001b[31mERRO\u001b[0m[0003] push failed        ')).toEqual({
      level: 'error',
      message: 'push failed',
    });
  });

  it('keeps build output as it is', () => {
    expect(parseKanikoLine('hello from RUN')).toEqual({ level: undefined, message: 'hello from RUN' });
    expect(parseKanikoLine('time is money')).toEqual({ level: undefined, message: 'time is money' });
  });
});

describe('push classification', () => {
  const digest = (c: string) => `sha256:${c.repeat(64)}`;
  const rec = (msg: string) => `time="t" level=info msg=${JSON.stringify(msg)}\n`;

  it('tells cache pushes from image pushes when both use the same repository', () => {
    const report = parseKanikoOutput(
      rec('Pushing layer reg:5000/app:abc to cache now') +
        rec('Pushing image to reg:5000/app:abc') +
        rec(`Pushed reg:5000/app@${digest('a')}`) +
        rec('Pushing image to reg:5000/app:1') +
        rec(`Pushed reg:5000/app@${digest('b')}`),
    );
    expect(report.cachePushes).toBe(1);
    expect(report.pushed).toEqual([{ repository: 'reg:5000/app', digest: digest('b') }]);
  });

  it('takes an error record as the failure when there is no final error line', () => {
    expect(
      parseKanikoOutput(rec('x') + 'time="t" level=error msg="unauthorized: authentication required"\n').error,
    ).toBe('unauthorized: authentication required');
  });
});
