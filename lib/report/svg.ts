// Small dependency-free SVG charts for reports: scatter/line and grouped bars.
// Plain strings, escaped, axis ticks at round numbers.

const W = 640, H = 360, PAD = { l: 64, r: 16, t: 32, b: 48 };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function ticks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const step0 = (hi - lo) / n, mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= step0)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-12; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function frame(title: string, xLabel: string, yLabel: string, x0: number, x1: number, y0: number, y1: number, body: (sx: (v: number) => number, sy: (v: number) => number) => string, xTicks = true, bottom = PAD.b): string {
  const PB = bottom;
  const sx = (v: number) => PAD.l + ((v - x0) / (x1 - x0 || 1)) * (W - PAD.l - PAD.r);
  const sy = (v: number) => HH - PB - ((v - y0) / (y1 - y0 || 1)) * (HH - PAD.t - PB);
  const HH = H + PB - PAD.b;
  const xt = !xTicks ? '' : ticks(x0, x1).map((v) => `<line x1="${sx(v)}" y1="${HH - PB}" x2="${sx(v)}" y2="${HH - PB + 4}" stroke="#333"/><text x="${sx(v)}" y="${HH - PB + 18}" text-anchor="middle" font-size="11">${v}</text>`).join('');
  const yt = ticks(y0, y1).map((v) => `<line x1="${PAD.l - 4}" y1="${sy(v)}" x2="${PAD.l}" y2="${sy(v)}" stroke="#333"/><text x="${PAD.l - 8}" y="${sy(v) + 4}" text-anchor="end" font-size="11">${v}</text>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${HH}" viewBox="0 0 ${W} ${HH}" font-family="sans-serif">
<text x="${W / 2}" y="18" text-anchor="middle" font-size="14">${esc(title)}</text>
<line x1="${PAD.l}" y1="${HH - PB}" x2="${W - PAD.r}" y2="${HH - PB}" stroke="#333"/><line x1="${PAD.l}" y1="${PAD.t}" x2="${PAD.l}" y2="${HH - PB}" stroke="#333"/>
${xt}${yt}<text x="${(PAD.l + W - PAD.r) / 2}" y="${HH - 8}" text-anchor="middle" font-size="12">${esc(xLabel)}</text>
<text x="14" y="${(PAD.t + HH - PB) / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 14 ${(PAD.t + HH - PB) / 2})">${esc(yLabel)}</text>
${body(sx, sy)}</svg>`;
}

export function lineChartSvg(title: string, xLabel: string, yLabel: string, points: { x: number; y: number }[], marker?: { x: number; y: number; label: string }, scatter = false): string {
  const all = marker ? [...points, marker] : points;
  const x1 = Math.max(...all.map((p) => p.x), 1e-9), y1 = Math.max(...all.map((p) => p.y), 1e-9);
  return frame(title, xLabel, yLabel, 0, x1 * 1.05, 0, y1 * 1.05, (sx, sy) => {
    const sorted = [...points].sort((a, b) => a.x - b.x);
    const line = scatter ? '' : `<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="${sorted.map((p) => `${sx(p.x)},${sy(p.y)}`).join(' ')}"/>`;
    const dots = sorted.map((p) => `<circle cx="${sx(p.x)}" cy="${sy(p.y)}" r="3" fill="#1f77b4"/>`).join('');
    const mk = marker ? `<circle cx="${sx(marker.x)}" cy="${sy(marker.y)}" r="5" fill="#d62728"/><text x="${sx(marker.x) + 8}" y="${sy(marker.y) + 4}" font-size="11">${esc(marker.label)}</text>` : '';
    return line + dots + mk;
  });
}

export function barChartSvg(title: string, bars: { label: string; a: number; b: number }[], legend: [string, string]): string {
  const y1 = Math.max(...bars.flatMap((b) => [b.a, b.b]), 1e-9) * 1.1;
  return frame(title, '', 'ms', 0, bars.length, 0, y1, (sx, sy) => {
    const w = (sx(1) - sx(0)) / 3;
    return (
      bars
        .map((b, i) => {
          const x = sx(i) + w / 2;
          const lx = x + w, ly = sy(0) + 12;
          return `<rect x="${x}" y="${sy(b.a)}" width="${w}" height="${sy(0) - sy(b.a)}" fill="#999"/><rect x="${x + w}" y="${sy(b.b)}" width="${w}" height="${sy(0) - sy(b.b)}" fill="#1f77b4"/><text x="${lx}" y="${ly}" text-anchor="end" font-size="10" transform="rotate(-35 ${lx} ${ly})">${esc(b.label)}</text>`;
        })
        .join('') +
      `<rect x="${W - 170}" y="36" width="10" height="10" fill="#999"/><text x="${W - 156}" y="45" font-size="11">${esc(legend[0])}</text><rect x="${W - 80}" y="36" width="10" height="10" fill="#1f77b4"/><text x="${W - 66}" y="45" font-size="11">${esc(legend[1])}</text>`
    );
  }, false, 130);
}
