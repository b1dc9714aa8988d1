// N:M pattern arguments, checked once for every sparse entry point.
import { checkInt } from '../check';

export interface NMPattern {
  n: number;
  m: number;
}

export function checkPattern(n: unknown, m: unknown, fn: string): NMPattern {
  const mm = checkInt(m, `${fn}: options.m`, 2, 16);
  const nn = checkInt(n, `${fn}: options.n`, 1, 15);
  if (nn >= mm) throw new RangeError(`${fn}: options.n must be below options.m, got ${nn}:${mm}`);
  return { n: nn, m: mm };
}
