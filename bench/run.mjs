#!/usr/bin/env node
// npm run bench -- [suite ...] [--threads 1,2] [--quick] [--case NAME] [--report DIR] [--seq 512,4096] [--bits 16,32]
// Runs benchmark suites against the compiled package and writes JSON results
// under bench/results/.
import { createRequire } from 'node:module';
import { writeResults } from './lib.mjs';
import { writeBenchReport } from './report.mjs';

const require = createRequire(import.meta.url);
const SUITES = {
  gemm: () => import('./suites/gemm.mjs'),
  nm: () => import('./suites/nm.mjs'),
  einsum: () => import('./suites/einsum.mjs'),
  'einsum-paths': () => import('./suites/einsum-paths.mjs'),
  factorized: () => import('./suites/factorized.mjs'),
  'factorized-accuracy': () => import('./suites/factorized-accuracy.mjs'),
  attention: () => import('./suites/attention.mjs'),
  planner: () => import('./suites/planner.mjs'),
};

const args = process.argv.slice(2);
const opts = {};
const names = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--threads') opts.threads = args[++i].split(',').map(Number);
  else if (args[i] === '--quick') opts.quick = true;
  else if (args[i] === '--report') opts.report = args[++i];
  else if (args[i] === '--case') (opts.cases ??= []).push(args[++i]);
  else if (args[i] === '--shape') (opts.shapes ??= []).push(args[++i].split('x').map(Number));
  else if (args[i] === '--seq') opts.seqs = args[++i].split(',').map(Number);
  else if (args[i] === '--bits') opts.bits = args[++i].split(',').map(Number);
  else names.push(args[i]);
}
const unknown = names.filter((n) => !(n in SUITES));
if (unknown.length) {
  console.error(`unknown suite(s): ${unknown.join(', ')} (known: ${Object.keys(SUITES).join(', ')})`);
  process.exit(1);
}

const tf = require('../dist/index.js');
const onnx = require('../dist/onnx/model.js');
const runs = [];
for (const name of names.length ? names : Object.keys(SUITES)) {
  console.log(`== ${name} ==`);
  const suite = await SUITES[name]();
  // Keep what the suite prints: its tables go into the report.
  const lines = [];
  const log = console.log;
  console.log = (...a) => {
    lines.push(a.join(' '));
    log(...a);
  };
  let result;
  try {
    result = await suite.run(tf, onnx, opts);
  } finally {
    console.log = log;
  }
  runs.push({ name, output: lines.join('\n'), result });
  console.log(`results: ${writeResults(name, result)}`);
}
if (opts.report) console.log(`report: ${(await writeBenchReport(opts.report, runs)).join(', ')}`);
