// Runs hash-attention cases on the compiled package under whatever
// TENSORFOLD_ISA the parent set, and prints the tier used and, per case, the
// output and the codes it attended with (base64), for checking in the parent.
'use strict';
const tf = require('../../dist/index.js');

const b64 = (typed) => Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength).toString('base64');
const cases = JSON.parse(process.argv[2]);
const out = { tier: tf.info().tier, results: [] };
for (const c of cases) {
  tf.setThreads(c.threads);
  const [B, H, nq, nk, D, DV] = c.shape;
  const q = tf.randn([B, H, nq, D], c.seed), k = tf.randn([B, H, nk, D], c.seed + 1), v = tf.randn([B, H, nk, DV], c.seed + 2);
  if (c.mode === 'softmax') {
    out.results.push({ out: b64(tf.softmaxAttentionSync(q, k, v, { causal: c.causal }).output.data) });
    continue;
  }
  const hash = tf.simhash({ dim: D, bits: c.bits, heads: H, seed: c.seed });
  const r = tf.hashAttentionSync(q, k, v, { hash, mode: c.mode, causal: c.causal, ...(c.opts || {}) });
  out.results.push({ out: b64(r.output.data), q: b64(tf.unpackCodes(r.codes.q)), k: b64(tf.unpackCodes(r.codes.k)) });
}
process.stdout.write(JSON.stringify(out));
