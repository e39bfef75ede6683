// The retraining loss curve as inline SVG: loss and its parts against the training step, one polyline each.
import type { LossPoint } from '../jobs/types';
import { LOSS_CHART, lossScales, stepTicks } from './loss-scales';
import { html, type Html } from './template';

const { W, H, L, R, T, B } = LOSS_CHART;
const fmt = (x: number) => String(Number(x.toPrecision(4)));
const dashAttr = (dash: string) => (dash ? html` stroke-dasharray="${dash}"` : '');

/** The loss chart (axes, quarter gridlines, one polyline per present part) and its HTML legend. */
export function renderLossChart(points: LossPoint[], label: string): Html {
  const { parts, xmax, ymax, sx, sy } = lossScales(points);
  const grid = [0, 0.25, 0.5, 0.75, 1].map((q) =>
    html`<line class="grid" x1="${L}" x2="${W - R}" y1="${fmt(sy(q * ymax))}" y2="${fmt(sy(q * ymax))}"/><text x="${L - 6}" y="${fmt(sy(q * ymax) + 4)}" text-anchor="end">${fmt(q * ymax)}</text>`);
  const xt = stepTicks(xmax).map((s) =>
    html`<line class="axis" x1="${fmt(sx(s))}" x2="${fmt(sx(s))}" y1="${H - B}" y2="${H - B + 5}"/><text x="${fmt(sx(s))}" y="${H - B + 18}" text-anchor="middle">${s}</text>`);
  const lines = parts.map((p) => {
    const pts = points.map((x) => `${fmt(sx(x.step))},${fmt(sy(x[p.key] as number))}`).join(' ');
    const dot = points.length === 1 ? html`<circle cx="${fmt(sx(points[0]!.step))}" cy="${fmt(sy(points[0]![p.key] as number))}" r="3" fill="${p.color}"/>` : '';
    return html`<g><title>${p.label}</title><polyline data-part="${p.key}" fill="none" stroke="${p.color}" stroke-width="2"${dashAttr(p.dash)} points="${pts}"/>${dot}</g>`;
  });
  const legend = parts.map((p) => html`<li><svg width="36" height="10" aria-hidden="true"><line x1="0" y1="5" x2="36" y2="5" stroke="${p.color}" stroke-width="2"${dashAttr(p.dash)}/></svg> ${p.label}</li>`);
  const axes = html`<line class="axis" x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}"/><line class="axis" x1="${L}" x2="${L}" y1="${T}" y2="${H - B}"/>`;
  const titles = html`<text x="${(L + W - R) / 2}" y="${H - 4}" text-anchor="middle">training step</text><text transform="translate(12 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">loss</text>`;
  return html`<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${label}" class="chart loss">${grid}${axes}${xt}${titles}${lines}</svg><ul class="legend">${legend}</ul>`;
}
