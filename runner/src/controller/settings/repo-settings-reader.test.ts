import { describe, expect, it } from '@jest/globals';
import { createLogger } from '../../observability/logger.js';
import { readRepoSettings } from './repo-settings-reader.js';

function github(files: Record<string, string>) {
  const asked: string[] = [];
  return {
    asked,
    getFileText: async (repo: string, path: string, ref: string) => {
      asked.push(`${repo}:${path}@${ref}`);
      return files[path];
    },
  };
}

function logger() {
  const lines: Record<string, unknown>[] = [];
  return { lines, log: createLogger({}, { level: 'debug', write: (l) => lines.push(JSON.parse(l)) }) };
}

const SHA = 'abcdef0123456789abcdef0123456789abcdef01';

describe('readRepoSettings', () => {
  it('reads .github/eci-virtual.yml at the given commit and names it as the source', async () => {
    const gh = github({ '.github/eci-virtual.yml': 'placement: { cpu: "2" }' });
    const s = await readRepoSettings(gh, 'o/r', SHA, logger().log);
    expect(gh.asked).toEqual([`o/r:.github/eci-virtual.yml@${SHA}`]);
    expect(s.source).toBe('.github/eci-virtual.yml@abcdef012345');
    expect(s.placement.cpu).toBe('2');
  });

  it('uses the controller defaults when the file is missing', async () => {
    const { lines, log } = logger();
    expect((await readRepoSettings(github({}), 'o/r', 'HEAD', log)).source).toBe('controller defaults');
    expect(lines).toEqual([]);
  });

  it('uses the controller defaults, says why and warns when the file is invalid', async () => {
    const { lines, log } = logger();
    const s = await readRepoSettings(
      github({ '.github/eci-virtual.yml': 'placement: { nodeType: moon }' }),
      'o/r',
      SHA,
      log,
    );
    expect(s.source).toMatch(/^controller defaults \(\.github\/eci-virtual\.yml invalid: .+\)$/);
    expect(lines).toEqual([expect.objectContaining({ level: 'warn', repo: 'o/r' })]);
  });
});
