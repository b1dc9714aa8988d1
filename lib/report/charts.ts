// Report charts: vega-lite specs, rendered headless to SVG by vega. Data is
// inline, so rendering needs no DOM, canvas or network, and the SVG embeds in
// a self-contained page. vega loads only when a chart is drawn.
import type { TopLevelSpec } from 'vega-lite';

export type ChartSpec = TopLevelSpec;

const BASE = {
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
  width: 560,
  height: 300,
  background: 'white',
  config: { font: 'sans-serif', title: { fontSize: 14 } },
} as const;

const q = (field: string, title: string, log = false) => ({ field, type: 'quantitative' as const, title, ...(log ? { scale: { type: 'log' as const } } : {}) });

/** Latency against error along the frontier, with the dense model marked. */
export function paretoChart(points: { errorPct: number; ms: number; label: string }[], denseMs: number): ChartSpec {
  return {
    ...BASE,
    title: 'Pareto frontier',
    layer: [
      {
        data: { values: points },
        mark: { type: 'line', point: true },
        encoding: { x: q('errorPct', 'max layer output error (%)'), y: q('ms', 'latency (ms)'), tooltip: [{ field: 'label' }] },
      },
      {
        data: { values: [{ errorPct: 0, ms: denseMs, label: 'dense' }] },
        layer: [
          { mark: { type: 'point', filled: true, size: 80, color: '#d62728' } },
          { mark: { type: 'text', dx: 8, align: 'left', color: '#d62728' }, encoding: { text: { field: 'label' } } },
        ],
        encoding: { x: { field: 'errorPct', type: 'quantitative' }, y: { field: 'ms', type: 'quantitative' } },
      },
    ],
  };
}

/** Grouped bars: one group per row label, one bar per series. */
export function groupedBarChart(title: string, yTitle: string, bars: { label: string; series: string; value: number }[]): ChartSpec {
  return {
    ...BASE,
    title,
    data: { values: bars },
    mark: 'bar',
    encoding: {
      x: { field: 'label', type: 'nominal', title: null, sort: null, axis: { labelAngle: -35, labelLimit: 220 } },
      xOffset: { field: 'series', type: 'nominal', sort: null },
      y: q('value', yTitle),
      color: { field: 'series', type: 'nominal', sort: null, title: null, scale: { range: ['#999999', '#1f77b4', '#ff7f0e', '#2ca02c'] } },
    },
  };
}

/** Points coloured by group; `diagonal` draws y = x (for predicted vs measured). */
export function scatterChart(
  title: string,
  axes: { x: string; y: string; log?: boolean },
  points: { x: number; y: number; group: string }[],
  diagonal = false,
): ChartSpec {
  const log = axes.log ?? false;
  const dots = {
    data: { values: points },
    mark: { type: 'point' as const, filled: true, opacity: 0.8 },
    encoding: { x: q('x', axes.x, log), y: q('y', axes.y, log), color: { field: 'group', type: 'nominal' as const, title: null } },
  };
  if (!diagonal || points.length === 0) return { ...BASE, title, ...dots };
  const lo = Math.min(...points.flatMap((p) => [p.x, p.y])), hi = Math.max(...points.flatMap((p) => [p.x, p.y]));
  const line = {
    data: { values: [{ x: lo, y: lo }, { x: hi, y: hi }] },
    mark: { type: 'line' as const, color: '#888', strokeDash: [4, 4] },
    encoding: { x: { field: 'x', type: 'quantitative' as const }, y: { field: 'y', type: 'quantitative' as const } },
  };
  return { ...BASE, title, layer: [line, dots] };
}

/** Compiles a vega-lite spec and renders it to an SVG string. */
export async function renderSvg(spec: ChartSpec): Promise<string> {
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
