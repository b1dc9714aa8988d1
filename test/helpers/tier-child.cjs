// Runs matmul cases on the compiled package under whatever TENSORFOLD_ISA the
// parent set, and prints the tier used and each result as base64 floats.
'use strict';
const tf = require('../../dist/index.js');

const cases = JSON.parse(process.argv[2]);
const out = { tier: tf.info().tier, results: [] };
for (const c of cases) {
  tf.setThreads(c.threads);
  const a = tf.randn(c.a, c.seedA), b = tf.randn(c.b, c.seedB);
  const r = c.packed
    ? tf.matmulSync(a, tf.packWeight(b, { transpose: c.transB }), { transA: c.transA })
    : tf.matmulSync(a, b, { transA: c.transA, transB: c.transB });
  out.results.push(Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength).toString('base64'));
}
process.stdout.write(JSON.stringify(out));
