// Timing a factorized layer's forward pass. It runs a fused chain of native
// steps, not one kernel, so it is timed here in JavaScript around
// forwardSync (timeJs: the native harness's rules), the layer's fastest path
// and fusing chosen first (FactorizedLinear.tune).
import type { MeasureOptions } from '../native';
import { randn, zeros, type Tensor } from '../tensor';
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

interface Prepared {
  layer: ReturnType<typeof skeletonLayer>;
  x: Tensor;
  out: Tensor;
}

/** Builds and tunes the layer once; `cache` (by spec) keeps it for repeated timings. */
function prepare(spec: FactorizedSpec, cache?: Map<string, Prepared>): Prepared {
  const key = JSON.stringify(spec);
  const hit = cache?.get(key);
  if (hit) return hit;
  const layer = skeletonLayer({ kind: spec.format, in: spec.in, out: spec.out, ranks: spec.ranks });
  layer.tune(spec.batch, { reps: 3, minSeconds: 0.01, threads: spec.threads });
  // One output for every run: fresh memory's page faults would be timed too.
  const p = { layer, x: randn([spec.batch, layer.inFeatures], 7), out: zeros([spec.batch, layer.outFeatures]) };
  cache?.set(key, p);
  return p;
}

export async function measureFactorized(spec: FactorizedSpec, options: MeasureOptions = {}, cache?: Map<string, Prepared>): Promise<JsMeasurement> {
  const { layer, x, out } = prepare(spec, cache);
  return timeJs(() => layer.forwardSync(x, { threads: spec.threads, out }), options);
}
