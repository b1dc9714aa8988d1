#!/usr/bin/env node
// npm run bench -- [suite ...] [--threads 1,2] [--quick]
// Runs benchmark suites against the compiled package and writes JSON results
// under bench/results/.
import { createRequire } from 'node:module';
import { writeResults } from './lib.mjs';

const require = createRequire(import.meta.url);
const SUITES = {
  gemm: () => import('./suites/gemm.mjs'),
  nm: () => import('./suites/nm.mjs'),
};

const args = process.argv.slice(2);
const opts = {};
const names = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--threads') opts.threads = args[++i].split(',').map(Number);
  else if (args[i] === '--quick') opts.quick = true;
  else if (args[i] === '--shape') (opts.shapes ??= []).push(args[++i].split('x').map(Number));
  else names.push(args[i]);
}
const unknown = names.filter((n) => !(n in SUITES));
if (unknown.length) {
  console.error(`unknown suite(s): ${unknown.join(', ')} (known: ${Object.keys(SUITES).join(', ')})`);
  process.exit(1);
}

const tf = require('../dist/index.js');
const onnx = require('../dist/onnx/model.js');
for (const name of names.length ? names : Object.keys(SUITES)) {
  console.log(`== ${name} ==`);
  const suite = await SUITES[name]();
  const result = await suite.run(tf, onnx, opts);
  console.log(`results: ${writeResults(name, result)}`);
}
