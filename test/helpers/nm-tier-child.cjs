// N:M products on the compiled package under the parent's TENSORFOLD_ISA (and TENSORFOLD_NO_PDEP).
'use strict';
const tf = require('../../dist/index.js');

const cases = JSON.parse(process.argv[2]);
const out = { tier: tf.info().tier, fastPdep: tf.info().cpu.features.fastPdep, results: [] };
for (const c of cases) {
  const w = tf.nmCompress(tf.nmPrune(tf.randn([c.rows, c.k], c.seed), { n: c.n, m: c.m }), { n: c.n, m: c.m });
  const y = tf.nmMatmulSync(tf.randn([c.tokens, c.k], c.seed + 1), w, { threads: 2 });
  out.results.push(Buffer.from(y.data.buffer, y.data.byteOffset, y.data.byteLength).toString('base64'));
}
process.stdout.write(JSON.stringify(out));
