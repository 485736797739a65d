import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

// The lifecycle is the only writer of job records. The types make it so (everyone else holds a JobRecordReader);
// this keeps it so: only the controller builds the store (through records/record-store.ts, which picks the history
// database or the ConfigMaps), and only the lifecycle and the stores themselves name the writable interface.
const controllerDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(join(dir, e.name))
      : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')
        ? [join(dir, e.name)]
        : [],
  );
const using = (pattern: RegExp) =>
  sources(join(controllerDir, '..'))
    .filter((f) => pattern.test(readFileSync(f, 'utf8')))
    .map((f) => relative(controllerDir, f))
    .sort();

describe('job records', () => {
  it('are written through the lifecycle only', () => {
    expect(using(/\bnew (JobRecords|HistoryRecords)\(/)).toEqual(['records/record-store.ts']);
    expect(using(/\brecordStore\(/)).toEqual(['controller.ts', 'records/record-store.ts']);
    expect(using(/\bJobRecordStore\b/)).toEqual([
      'lifecycle/job-lifecycle.ts',
      'records/history-records.ts',
      'records/job-records.ts',
      'records/record-store.ts',
      'records/stored-job.ts',
    ]);
  });
});
