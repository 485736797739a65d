/**
 * The Debian mirror this machine's apt already uses, so debootstrap downloads from wherever the machine can reach
 * (a corporate mirror, a snapshot, a proxy). There is no built-in mirror: the repository names no package host, so a
 * machine whose apt knows no mirror for the suite gets an error saying how to configure one. Reads both the one-line
 * format (sources.list, *.list) and deb822 (*.sources). ECI_VIRTUAL_DEBIAN_MIRROR overrides.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NotFound } from '@eci-virtual/contract';

export interface AptSource {
  uris: string[];
  suites: string[];
  components: string[];
}

function parseOneLine(text: string): AptSource[] {
  const sources: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    // deb [arch=amd64 signed-by=...] URI SUITE COMPONENT...
    const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (m?.[1] && m[2]) sources.push({ uris: [m[1]], suites: [m[2]], components: (m[3] ?? '').split(/\s+/) });
  }
  return sources;
}

function parseDeb822(text: string): AptSource[] {
  const sources: AptSource[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const line of stanza.split('\n')) {
      if (line.startsWith('#')) continue;
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
      if (m?.[1]) fields.set(m[1].toLowerCase(), (m[2] ?? '').trim());
    }
    const types = (fields.get('types') ?? '').split(/\s+/);
    if (!types.includes('deb') || fields.get('enabled') === 'no') continue;
    const words = (key: string) => (fields.get(key) ?? '').split(/\s+/).filter(Boolean);
    sources.push({ uris: words('uris'), suites: words('suites'), components: words('components') });
  }
  return sources;
}

export function aptSources(etcApt = '/etc/apt'): AptSource[] {
  const sources: AptSource[] = [];
  const main = join(etcApt, 'sources.list');
  if (existsSync(main)) sources.push(...parseOneLine(readFileSync(main, 'utf8')));
  const dir = join(etcApt, 'sources.list.d');
  if (existsSync(dir)) {
    for (const name of readdirSync(dir).sort()) {
      const text = readFileSync(join(dir, name), 'utf8');
      if (name.endsWith('.list')) sources.push(...parseOneLine(text));
      else if (name.endsWith('.sources')) sources.push(...parseDeb822(text));
    }
  }
  return sources;
}

/**
 * The URI of the first apt source that carries `suite` itself (not -updates/-security) with `main`; throws NotFound
 * (with what to configure) when there is none.
 */
export function debianMirror(
  suite: string,
  sources: AptSource[] = aptSources(),
  override = process.env.ECI_VIRTUAL_DEBIAN_MIRROR,
): string {
  if (override) return override.replace(/\/+$/, '');
  const match = sources.find((s) => s.suites.includes(suite) && s.components.includes('main') && s.uris.length > 0);
  const uri = match?.uris[0]?.replace(/\/+$/, '');
  if (uri) return uri;
  throw new NotFound(
    `no Debian mirror for ${suite} in this machine's apt sources (/etc/apt/sources.list, ` +
      `/etc/apt/sources.list.d/*.list and *.sources): the debian test image is built from the mirror apt uses`,
    {
      hint:
        `add a source for "${suite}" with the "main" component to apt (e.g. the line "deb <mirror URL> ${suite} main" ` +
        `in /etc/apt/sources.list), or set ECI_VIRTUAL_DEBIAN_MIRROR=<mirror URL>`,
    },
  );
}
