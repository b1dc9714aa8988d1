// What makes a measurement valid elsewhere: the same CPU model, kernel tier,
// thread count and library version. Wisdom from any other host is ignored.
import { createHash } from 'node:crypto';
import { info } from '../runtime';

export interface HostFingerprint {
  cpu: string;
  tier: string;
  threads: number;
  version: string;
}

export function hostFingerprint(): HostFingerprint {
  const i = info();
  return { cpu: i.cpu.brand || i.cpu.vendor, tier: i.tier, threads: i.threads, version: i.version };
}

/** A short stable id of a fingerprint, for file names and logs. */
export function fingerprintId(f: HostFingerprint): string {
  return createHash('sha256').update(JSON.stringify([f.cpu, f.tier, f.threads, f.version])).digest('hex').slice(0, 16);
}

export function sameHost(a: HostFingerprint, b: HostFingerprint): boolean {
  return a.cpu === b.cpu && a.tier === b.tier && a.threads === b.threads && a.version === b.version;
}
