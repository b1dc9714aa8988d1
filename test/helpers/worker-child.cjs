// Loads the package in several worker_threads at once, multiplies in each,
// and lets the workers exit while the main thread keeps using the addon.
'use strict';
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');
const tf = require('../../dist/index.js');

function work(seed) {
  const a = tf.randn([64, 96], seed), b = tf.randn([96, 48], seed + 1);
  const c = tf.matmulSync(a, b);
  let ref = 0;
  for (let p = 0; p < 96; p++) ref += a.data[p] * b.data[p * 48];
  return Math.abs(c.data[0] - ref) < 1e-3;
}

if (isMainThread) {
  const n = 6;
  let done = 0, ok = true;
  for (let i = 0; i < n; i++) {
    const w = new Worker(__filename, { workerData: i });
    w.on('message', async (m) => {
      ok = ok && m;
      if (i % 2 === 0) await w.terminate(); // some are killed, some exit on their own
    });
    w.on('error', (e) => {
      console.error(e);
      process.exitCode = 1;
    });
    w.on('exit', () => {
      if (++done === n) {
        ok = ok && work(99);
        tf.matmul(tf.randn([300, 300], 1), tf.randn([300, 300], 2)).then(() => console.log(ok ? 'ok' : 'wrong'));
      }
    });
  }
} else {
  const ok = work(workerData * 10);
  // Leave async work in flight while terminating: the environment must wait for it safely.
  tf.matmul(tf.randn([400, 400], 3), tf.randn([400, 400], 4));
  parentPort.postMessage(ok);
}
