// Process-level controls: what the host is, which kernels run, how many threads.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkInt } from './check';
import { native, packageRoot, type IsaTierName, type NativeInfo } from './native';

export interface Info {
  version: string;
  node: string;
  platform: string;
  cpu: NativeInfo['cpu'];
  /** Best tier this CPU and OS support. */
  maxTier: IsaTierName;
  /** Tier the kernels run on (lowered by TENSORFOLD_ISA). */
  tier: IsaTierName;
  threads: number;
  kernels: NativeInfo['kernels'];
  /** Freed memory kept for reuse (see MallocInfo). */
  malloc: NativeInfo['malloc'];
  compiler: string;
}

let cachedVersion: string | undefined;

export function version(): string {
  if (!cachedVersion) {
    const pkg = JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string };
    cachedVersion = pkg.version;
  }
  return cachedVersion;
}

/** Version, CPU features, the active kernel tier and the thread count. */
export function info(): Info {
  const n = native().info();
  return {
    version: version(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    ...n,
  };
}

/** Sets the compute pool's thread count for the whole process (1..256). */
export function setThreads(n: number): void {
  checkInt(n, 'setThreads: n', 1, 256);
  native().setThreads(n);
}

export function getThreads(): number {
  return native().getThreads();
}
