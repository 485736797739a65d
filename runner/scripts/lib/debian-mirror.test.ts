import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NotFound } from '@eci-virtual/contract';
import { aptSources, debianMirror } from './debian-mirror.js';

// Mirror addresses from the documentation ranges: the repository names no real package host.
const MIRROR = 'http://mirror.example.test/debian';

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function etcApt(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'apt-sources-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'sources.list.d'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('debianMirror', () => {
  it('takes the first source of the suite itself with main, from one-line and deb822 files', () => {
    const dir = etcApt({
      'sources.list': `# deb ${MIRROR}-commented bookworm main\ndeb ${MIRROR}-security bookworm-security main\n`,
      'sources.list.d/debian.sources': [
        `Types: deb\nURIs: ${MIRROR}/\nSuites: bookworm bookworm-updates\nComponents: main`,
        `Types: deb\nURIs: ${MIRROR}-other\nSuites: bookworm\nComponents: main\nEnabled: no`,
      ].join('\n\n'),
    });
    expect(debianMirror('bookworm', aptSources(dir), '')).toBe(MIRROR);
  });

  it('reads [options] in one-line sources and prefers ECI_VIRTUAL_DEBIAN_MIRROR', () => {
    const sources = aptSources(etcApt({ 'sources.list': `deb [arch=amd64] ${MIRROR} bookworm main contrib\n` }));
    expect(debianMirror('bookworm', sources, '')).toBe(MIRROR);
    expect(debianMirror('bookworm', sources, 'http://override.example.test/debian/')).toBe(
      'http://override.example.test/debian',
    );
  });

  it('fails with what to configure when apt knows no mirror of the suite (no built-in fallback)', () => {
    const sources = aptSources(etcApt({ 'sources.list': `deb ${MIRROR} trixie main\n` }));
    let error: unknown;
    try {
      debianMirror('bookworm', sources, '');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NotFound);
    expect((error as NotFound).message).toMatch(/no Debian mirror for bookworm in this machine's apt sources/);
    expect((error as NotFound).hint).toMatch(/deb <mirror URL> bookworm main.*ECI_VIRTUAL_DEBIAN_MIRROR/);
  });
});
