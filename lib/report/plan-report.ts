// A plan as a report a person reads: markdown tables and a self-contained
// HTML page with inline SVG charts drawn by vega-lite (no network, no scripts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plan } from '../planner/plan';
import { groupedBarChart, paretoChart, renderSvg, scatterChart, type ChartSpec } from './charts';

const pct = (e: number) => `${(100 * e).toFixed(2)}%`;
// Milliseconds to three decimals, or three significant digits below 0.1 ms.
const msf = (m: number) => (m >= 0.1 ? m.toFixed(3) : m.toPrecision(3));

export function planSummaryTable(plan: Plan): string {
  const rows = plan.layers.map((l) => `| ${l.name} | ${l.in}x${l.out} | ${l.count} | ${l.choice.label}${l.choice.threads ? ` on ${l.choice.threads} thread${l.choice.threads > 1 ? 's' : ''}` : ''} | ${msf(l.dense.ms)} | ${msf(l.choice.ms)}${l.choice.measured ? '' : ' (predicted)'} | ${(l.dense.ms / l.choice.ms).toFixed(2)}x | ${pct(l.choice.error)} |`);
  return [
    '| layer | in x out | count | choice | dense ms | plan ms | speedup | output error |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    `| **total** | | | | ${msf(plan.total.denseMs)} | ${msf(plan.total.planMs)} | ${plan.total.speedup.toFixed(2)}x | max ${pct(plan.total.maxError)} |`,
  ].join('\n');
}

/** The attention blocks' candidates: time per block call and error against exact softmax. */
export function attentionTable(plan: Plan): string {
  const a = plan.attention;
  if (!a) return '';
  return [
    `Attention: ${a.count} blocks of ${a.heads} heads x ${a.headDim}, ${a.sequences} sequence(s) of ${a.seqLen} tokens per call; choice ${a.choice.label} (${a.speedup.toFixed(2)}x softmax).`,
    'Errors: relative output error against exact softmax attention on structured synthetic q, k, v (topic segments, anisotropic offsets); hash attention is chosen only under a max-error budget.',
    '',
    '| candidate | ms per block | x softmax | output error |',
    '|---|---|---|---|',
    ...a.candidates.map((c) => `| ${c.label}${c.label === a.choice.label ? ' (chosen)' : ''} | ${msf(c.ms)} | ${(a.softmax.ms / c.ms).toFixed(2)}x | ${pct(c.error)} |`),
  ].join('\n');
}

export function planMarkdown(plan: Plan): string {
  const b = plan.budget;
  return [
    `# tensorfold plan: ${plan.model.name}`,
    '',
    `Host: ${plan.host.cpu}, ${plan.host.tier}, ${plan.threads} thread(s), tensorfold ${plan.host.version}. Batch ${plan.batch} tokens.`,
    `Budget: ${[b.maxError !== undefined ? `per-layer output error <= ${pct(b.maxError)}` : '', b.maxParams !== undefined ? `params <= ${b.maxParams}` : '', b.latencyTargetMs !== undefined ? `latency <= ${b.latencyTargetMs} ms` : ''].filter(Boolean).join(', ')}.`,
    plan.synthetic
      ? '\n**Synthetic weights and activations**: W = U·diag(σ)·Vᵀ with σ_i = (1+i)^-0.5 and correlated activations; errors are relative layer-output errors on those, not on a trained model.'
      : "\n**Weights from the model, synthetic activations**: errors are relative layer-output errors of each shape's first layer (standing for the others of that shape) on correlated synthetic activations.",
    '',
    '## Chosen plan (linear layers, latency per call)',
    '',
    planSummaryTable(plan),
    '',
    '## Speedup over dense at error budgets',
    '',
    '| per-layer error budget | latency ms | speedup |',
    '|---|---|---|',
    ...plan.budgets.map((x) => `| ${pct(x.maxError)} | ${msf(x.ms)} | ${x.speedup.toFixed(2)}x |`),
    '',
    ...(plan.remeasured
      ? [
          plan.remeasured.searched
            ? `These figures are from the finalists timed again after the search (dense and each budget's choice, ${plan.remeasured.rounds} round(s), ${plan.remeasured.calls} kernel calls), the plan chosen again on them. The search's own figures had said:`
            : "Timed again after the search (dense and each budget's plan, one pass):",
          '',
          '| per-layer error budget | speedup |',
          '|---|---|',
          ...(plan.remeasured.searched
            ? [`| this plan | ${plan.remeasured.searched.speedup.toFixed(2)}x |`, ...plan.remeasured.searched.budgets.map((x) => `| ${pct(x.maxError)} | ${x.speedup.toFixed(2)}x |`)]
            : [`| this plan | ${plan.remeasured.speedup.toFixed(2)}x |`, ...plan.remeasured.budgets.map((x) => `| ${pct(x.maxError)} | ${x.speedup.toFixed(2)}x |`)]),
          '',
        ]
      : []),
    ...(plan.pruned?.length
      ? [
          `Left out without decomposing (a proven lower bound on their output error exceeds every budget weighed): ${plan.pruned.map((p) => `${p.layer} ${p.label} >= ${pct(p.errorBound)}`).join('; ')}.`,
          '',
        ]
      : []),
    '## Pareto frontier (whole model: latency vs largest layer error)',
    '',
    '| max layer error | latency ms | speedup |',
    '|---|---|---|',
    ...plan.pareto.map((x) => `| ${pct(x.maxError)} | ${msf(x.ms)} | ${x.speedup.toFixed(2)}x |`),
    '',
    ...(plan.attention ? ['## Attention blocks', '', attentionTable(plan), ''] : []),
    '## Latency predictor',
    '',
    `Held-out (leave-one-out) Kendall tau ${plan.predictor.kendallTau?.toFixed(3) ?? 'n/a'}, mean relative error ${plan.predictor.meanRelativeError !== null ? pct(plan.predictor.meanRelativeError) : 'n/a'} over ${plan.predictor.samples} measured candidates.`,
    `Measuring: ${plan.measuring.measured} kernels measured, ${plan.measuring.fromWisdom} from wisdom, ${plan.measuring.predicted} candidates predicted${plan.measuring.interrupted ? ' (measuring was stopped early)' : ''}, ${plan.measuring.seconds.toFixed(1)} s.`,
    '',
  ].join('\n');
}

/** The report's four charts as vega-lite specs (exported for tests and custom reports). */
export function planCharts(plan: Plan): ChartSpec[] {
  return [
    paretoChart(plan.pareto.map((p) => ({ errorPct: 100 * p.maxError, ms: p.ms, label: `${p.speedup.toFixed(2)}x` })), plan.total.denseMs),
    groupedBarChart(
      'Per-layer latency: dense vs plan',
      'ms per call',
      plan.layers.flatMap((l) => [
        { label: `${l.name} (${l.choice.label})`, series: 'dense', value: l.dense.ms },
        { label: `${l.name} (${l.choice.label})`, series: 'plan', value: l.choice.ms },
      ]),
    ),
    scatterChart(
      'Candidates: latency vs output error',
      { x: 'output error (%)', y: 'latency (ms)' },
      plan.layers.flatMap((l) => l.candidates.map((c) => ({ x: 100 * c.error, y: c.ms, group: c.format.kind }))),
    ),
    scatterChart(
      'Latency predictor: held-out candidates, predicted vs measured',
      { x: 'measured (ms)', y: 'predicted (ms)', log: true },
      (plan.predictor.points ?? []).map((p) => ({ x: p.measured, y: p.predicted, group: 'held-out candidate' })),
      true,
    ),
  ];
}

export async function planHtml(plan: Plan): Promise<string> {
  const svgs = await Promise.all(planCharts(plan).map(renderSvg));
  const md = planMarkdown(plan)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;');
  return `<!doctype html><html><head><meta charset="utf-8"><title>tensorfold plan: ${plan.model.name}</title>
<style>body{font:14px system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em}pre{white-space:pre-wrap;background:#f6f6f6;padding:1em}svg{margin:1em 0;max-width:100%;height:auto}</style></head>
<body><h1>tensorfold plan: ${plan.model.name}</h1>${svgs.join('\n')}<pre>${md}</pre></body></html>\n`;
}

export async function writePlanReport(plan: Plan, dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const files = [join(dir, 'report.md'), join(dir, 'report.html')];
  writeFileSync(files[0], planMarkdown(plan));
  writeFileSync(files[1], await planHtml(plan));
  return files;
}
