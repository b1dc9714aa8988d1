// Makes fresh 1.5 MB matmul outputs and drops them, as a loop over a model's
// layers does, and counts the page faults of the last calls, once the garbage
// collector has freed earlier outputs; prints { malloc, faults, pages }.
'use strict';
const tf = require('../../dist/index.js');

tf.setThreads(1);
const a = tf.randn([128, 1], 1), b = tf.randn([1, 3072], 2);
const warm = 100, counted = 100;
for (let i = 0; i < warm; i++) tf.matmulSync(a, b);
const before = process.resourceUsage().minorPageFault;
for (let i = 0; i < counted; i++) tf.matmulSync(a, b);
const faults = process.resourceUsage().minorPageFault - before;
process.stdout.write(JSON.stringify({ malloc: tf.info().malloc, faults, pages: (counted * 128 * 3072 * 4) / 4096 }));
