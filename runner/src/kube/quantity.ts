/** Kubernetes resource quantities ("500m", "2Gi", "1e3") as plain numbers (cpu in cores, memory in bytes). */
import { InvalidInput } from '@eci-virtual/contract';

const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

export function parseQuantity(q: string): number {
  const m = /^([+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)(n|u|m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(q.trim());
  if (!m) throw new InvalidInput(`invalid resource quantity "${q}"`);
  return Number(m[1]) * SUFFIX[m[2] ?? '']!;
}
