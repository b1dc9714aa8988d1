// Runs einsum cases on the compiled package under whatever TENSORFOLD_ISA the
// parent set, and prints the tier used and each result as base64 floats.
'use strict';
const tf = require('../../dist/index.js');

const cases = JSON.parse(process.argv[2]);
const out = { tier: tf.info().tier, results: [] };
for (const c of cases) {
  tf.setThreads(c.threads);
  const ops = c.shapes.map((shape, k) => tf.randn(shape, c.seed + k));
  const r = tf.einsumSync(c.sub, ...ops, c.optimize === undefined ? {} : { optimize: c.optimize });
  out.results.push(Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength).toString('base64'));
}
process.stdout.write(JSON.stringify(out));
