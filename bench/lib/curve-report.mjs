/**
 * The throughput curve of the report: steps/s by runs in flight for the engine (one process, each
 * bus) and BullMQ, as a markdown section and as a line chart.
 */
import { fmt, ok, ratio, SYSTEMS } from './format.mjs';
import { WORKLOADS } from './workloads.mjs';

/** The best point of a curve: the most steps/s. */
const peakOf = (curve) => curve?.reduce((best, c) => (best === undefined || c.stepsPerSec > best.stepsPerSec ? c : best), undefined);

const curvesOf = (p, w) => SYSTEMS.map((s) => ({ ...s, curve: ok(p[s.phase])?.workloads?.[w]?.curve }));
const windowsOf = (curves) => [...new Set(curves.flatMap((c) => c.curve?.map((x) => x.window) ?? []))].sort((a, b) => a - b);

/** Whether any phase of the result measured a curve. */
export const hasCurves = (p) => WORKLOADS.some((w) => curvesOf(p, w).some((c) => c.curve));

/**
 * Steps/s by runs in flight, per workload: where each system stops gaining, the run latency it
 * pays there, and each engine's best against BullMQ's best. The targets stay at the equal window
 * of the saturation table; this shows what the equal window hides.
 */
export function curveSection(p) {
  if (!hasCurves(p)) return [];
  const out = ['## Throughput by runs in flight', ''];
  out.push("Closed loops at the saturation window and at multiples of it, the same for every system (chart: `latest-curve.svg`). Each cell: steps/s (run latency p50 / p99 ms). **best ÷ BullMQ's best** compares each system at the window where it does most; the targets compare at the equal window.", '');
  for (const w of WORKLOADS) {
    const curves = curvesOf(p, w);
    const windows = windowsOf(curves);
    if (windows.length === 0) continue;
    const peer = peakOf(curves.find((c) => c.peer)?.curve);
    out.push(`**${w}**`, '', `| system | ${windows.map((x) => `${x} in flight`).join(' | ')} | best | best ÷ BullMQ's best |`, `|---|${windows.map(() => '---').join('|')}|---|---|`);
    for (const { label, curve, peer: isPeer } of curves) {
      const cells = windows.map((x) => {
        const c = curve?.find((point) => point.window === x);
        return c ? `${fmt(c.stepsPerSec, 0)} (${fmt(c.runLatencyP50, 0)} / ${fmt(c.runLatencyP99, 0)})` : '—';
      });
      const best = peakOf(curve);
      const vsBest = ratio(best?.stepsPerSec, peer?.stepsPerSec);
      const vsPeer = isPeer || vsBest === undefined ? '' : `${fmt(vsBest, 3)}x`;
      out.push(`| ${label} | ${cells.join(' | ')} | ${best ? `${fmt(best.stepsPerSec, 0)} at ${best.window}` : '—'} | ${vsPeer} |`);
    }
    out.push('');
  }
  return out;
}

/** One panel per workload: steps/s against runs in flight (one point per window, evenly spaced), a line per system. */
export function renderCurveSvg(result) {
  const p = result.phases;
  const W = 900, H = 380, top = 60, bottom = 70, left = 60, gap = 40;
  const panelW = (W - left - gap * WORKLOADS.length) / WORKLOADS.length;
  const plotH = H - top - bottom;
  const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`, '<rect width="100%" height="100%" fill="white"/>'];
  parts.push(`<text x="${W / 2}" y="24" text-anchor="middle" font-size="15">Steps/s by runs in flight (${esc(result.machine.cores)} cores, ${esc(result.machine.cpu)})</text>`);
  WORKLOADS.forEach((w, i) => {
    const curves = curvesOf(p, w);
    const windows = windowsOf(curves);
    const x0 = left + i * (panelW + gap);
    parts.push(`<text x="${x0 + panelW / 2}" y="${top - 12}" text-anchor="middle" font-size="13">${esc(w)}</text>`);
    if (windows.length === 0) {
      parts.push(`<text x="${x0 + panelW / 2}" y="${top + plotH / 2}" text-anchor="middle" fill="#b00">not measured</text>`);
      return;
    }
    const max = Math.max(1, ...curves.flatMap((c) => c.curve?.map((x) => x.stepsPerSec) ?? [])) * 1.1;
    const x = (window) => x0 + (windows.length === 1 ? panelW / 2 : (windows.indexOf(window) / (windows.length - 1)) * panelW);
    const y = (v) => top + plotH - (v / max) * plotH;
    for (let t = 0; t <= 4; t++) {
      const v = (max / 4) * t;
      parts.push(`<line x1="${x0}" x2="${x0 + panelW}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${x0 - 4}" y="${y(v) + 4}" text-anchor="end" font-size="10">${Math.round(v)}</text>`);
    }
    for (const win of windows) parts.push(`<text x="${x(win)}" y="${top + plotH + 16}" text-anchor="middle">${win}</text>`);
    for (const { curve, color } of curves) {
      if (!curve) continue;
      parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${curve.map((c) => `${x(c.window)},${y(c.stepsPerSec)}`).join(' ')}"/>`);
      for (const c of curve) parts.push(`<circle cx="${x(c.window)}" cy="${y(c.stepsPerSec)}" r="3" fill="${color}"/>`);
    }
  });
  parts.push(`<text x="${W / 2}" y="${H - 36}" text-anchor="middle">runs in flight (a closed loop)</text>`);
  SYSTEMS.forEach((s, i) => parts.push(`<rect x="${left + i * 190}" y="${H - 22}" width="12" height="12" fill="${s.color}"/><text x="${left + i * 190 + 18}" y="${H - 12}">${esc(s.label)}</text>`));
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
