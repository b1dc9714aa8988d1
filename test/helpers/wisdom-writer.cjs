// Saves a large wisdom file over and over until killed (torn-write test).
'use strict';
const { Wisdom } = require('../../dist/index.js');
const file = process.argv[2];
let round = 0;
for (;;) {
  const w = Wisdom.load(file);
  for (let i = 0; i < 3000; i++) w.set(`gemm:m=${i},round=${round}`, { medianMs: i, minMs: i, maxMs: i, reps: 1 });
  w.save();
  round++;
  if (round === 1) process.stdout.write('ready\n');
}
