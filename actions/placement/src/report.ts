/** $ECI_VIRTUAL_POD_FACTS → the rows of the placement summary and the action's outputs. Pure. */
import { InvalidInput } from '@eci-virtual/contract';
import type { PodFacts } from '@eci-virtual/contract';

export function parseFacts(raw: string | undefined): PodFacts {
  if (!raw)
    throw new InvalidInput(
      'ECI_VIRTUAL_POD_FACTS is not set: this step does not run in an eci-virtual job pod (runs-on: eci-virtual, or eci-virtual run)',
    );
  try {
    const facts = JSON.parse(raw) as PodFacts;
    if (typeof facts.pod !== 'string' || typeof facts.timings !== 'object') throw new Error('missing fields');
    return facts;
  } catch (err) {
    throw new InvalidInput(`ECI_VIRTUAL_POD_FACTS is not pod facts JSON (${(err as Error).message})`);
  }
}

const ms = (v: number | undefined) => (v === undefined ? 'unknown' : `${(v / 1000).toFixed(2)} s`);

export function placementRows(f: PodFacts): [string, string][] {
  return [
    ['pod', `${f.namespace}/${f.pod}`],
    ['node', `${f.node ?? 'unknown'} (${f.nodeType})`],
    ['cpu', f.cpu ?? 'not set'],
    ['memory', f.memory ?? 'not set'],
    ['ECI specs', f.eciSpecs ?? '—'],
    ['pod created', ms(f.timings.podCreatedMs)],
    ['pod running', ms(f.timings.runningMs)],
    [
      'image cache',
      [f.imageCache.auto ? 'automatic (eci-auto-imc)' : 'off', f.imageCache.id ? `id ${f.imageCache.id}` : '']
        .filter(Boolean)
        .join(', '),
    ],
    ['pull policy', f.imageCache.pullPolicy ?? 'default'],
    ['kaniko container', f.kaniko ? 'yes' : 'no'],
    ['images', f.images.join('<br>')],
  ];
}

export function placementOutputs(f: PodFacts): Record<string, string> {
  return {
    node: f.node ?? '',
    'node-type': f.nodeType,
    cpu: f.cpu ?? '',
    memory: f.memory ?? '',
    'pod-running-ms': f.timings.runningMs === undefined ? '' : String(f.timings.runningMs),
  };
}
