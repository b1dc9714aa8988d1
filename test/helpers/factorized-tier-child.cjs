// Factorized layers (serialized by the parent) run on the compiled package
// under the parent's TENSORFOLD_ISA, fused and unfused; and one SVD, whose
// factors the parent checks. Prints the tier and every result as base64.
'use strict';
const tf = require('../../dist/index.js');
const { native } = require('../../dist/native.js');

const input = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
const b64 = (a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
const out = { tier: tf.info().tier, results: [], svd: null };
for (const c of input.cases) {
  const layer = tf.FactorizedLinear.deserialize(Buffer.from(c.layer, 'base64'));
  tf.setThreads(c.threads);
  const x = tf.randn([c.tokens, layer.inFeatures], c.seed);
  out.results.push({
    unfused: b64(layer.forwardSync(x, { mode: 'unfused' }).data),
    fused: b64(layer.forwardSync(x, { mode: 'fused', block: 8 }).data),
  });
}
const { m, n } = input.svd;
const raw = Buffer.from(input.svd.a, 'base64');
const a = new Float64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
const k = Math.min(m, n);
const u = new Float64Array(m * k), s = new Float64Array(k), vt = new Float64Array(k * n);
native().svd({ a, m, n, u, s, vt });
out.svd = { u: b64(u), s: b64(s), vt: b64(vt) };
process.stdout.write(JSON.stringify(out));
