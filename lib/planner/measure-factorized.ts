// Timing a factorized layer's forward pass. It runs a fused chain of native
// steps, not one kernel, so it is timed here in JavaScript around
// forwardSync (timeJs: the native harness's rules), the layer's fastest path
// and fusing chosen first (FactorizedLinear.tune).
import type { MeasureOptions } from '../native';
import { randn } from '../tensor';
import { skeletonLayer } from './factorized';
import { timeJs, type JsMeasurement } from './time-js';

/** A factorized forward call on [batch, in] tokens, keyed in wisdom like the kernel specs. */
export interface FactorizedSpec {
  kernel: 'factorized';
  format: 'tt' | 'tucker' | 'cp';
  in: number[];
  out: number[];
  ranks: number[];
  batch: number;
  threads: number;
}

export async function measureFactorized(spec: FactorizedSpec, options: MeasureOptions = {}): Promise<JsMeasurement> {
  const layer = skeletonLayer({ kind: spec.format, in: spec.in, out: spec.out, ranks: spec.ranks });
  layer.tune(spec.batch, { reps: 3, minSeconds: 0.01, threads: spec.threads });
  const x = randn([spec.batch, layer.inFeatures], 7);
  return timeJs(() => layer.forwardSync(x, { threads: spec.threads }), options);
}
