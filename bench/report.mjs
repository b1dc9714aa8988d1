// Benchmark reports: report.md with each suite's tables, and report.html
// with the same plus a vega-lite bar chart per suite (inline SVG, no network).
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const { groupedBarChart, renderSvg } = require('../dist/report/charts.js');

const esc = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** Per record: ours vs the fastest other peer, in the suite's own unit. */
async function chartFor(name, result) {
  const recs = result.records ?? [];
  const label = (r) => [r.m && `${r.m}x${r.k}x${r.n}`, r.rows && `${r.rows}x${r.k}`, r.tokens && `t${r.tokens}`, r.name, r.case, r.threads && `${r.threads}th`].filter(Boolean).join(' ');
  const bars = [];
  for (const r of recs.slice(0, 24)) {
    const map = r.ms ?? r.medianMs;
    if (!map) continue;
    const ours = map.tensorfold ?? map.ours ?? map.dense;
    const others = Object.entries(map).filter(([k]) => !/^(tensorfold|ours|dense)/.test(k)).map(([, v]) => v).filter(Number.isFinite);
    if (ours === undefined || !others.length) continue;
    bars.push({ label: label(r), series: 'best peer', value: Math.min(...others) }, { label: label(r), series: 'tensorfold', value: ours });
  }
  return bars.length ? renderSvg(groupedBarChart(`${name}: ms per call (lower is better)`, 'ms', bars)) : '';
}

export async function writeBenchReport(dir, runs) {
  mkdirSync(dir, { recursive: true });
  const md = ['# tensorfold benchmarks', ''];
  const html = [];
  for (const { name, output, result } of runs) {
    const tables = output.split('\n').filter((l) => l.startsWith('|') || l.startsWith('(')).join('\n');
    md.push(`## ${name}`, '', tables, '');
    html.push(`<h2>${esc(name)}</h2>${await chartFor(name, result)}<pre>${esc(tables)}</pre>`);
  }
  const info = runs[0]?.result?.info;
  if (info) md.splice(2, 0, `Host: ${info.cpu.brand}, ${info.tier}, tensorfold ${info.version}.`, '');
  writeFileSync(join(dir, 'report.md'), md.join('\n'));
  writeFileSync(
    join(dir, 'report.html'),
    `<!doctype html><html><head><meta charset="utf-8"><title>tensorfold benchmarks</title><style>body{font:14px system-ui,sans-serif;max-width:1000px;margin:2em auto}pre{background:#f6f6f6;padding:1em;overflow:auto}</style></head><body><h1>tensorfold benchmarks</h1>${html.join('\n')}</body></html>\n`,
  );
  return [join(dir, 'report.md'), join(dir, 'report.html')];
}
