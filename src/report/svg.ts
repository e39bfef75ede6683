// Robustness curves as inline SVG: accuracy vs epsilon, one chart per attack, one polyline per series.
import type { CleanRow, Row } from '../engine/audit/report';
import { html, type Html } from './template';

/** One line of a chart: a (variant, defense, adaptive) triple and its points in epsilon order. */
export interface Series {
  variant: string;
  defense: string;
  adaptive: boolean;
  /** [epsilon, accuracy]; epsilon 0 is the clean accuracy of the same variant behind the same defense. */
  points: [number, number][];
}

// Okabe-Ito colours: distinguishable with common colour-vision deficiencies, readable on white and dark grey.
const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#8a8a00', '#999999'];
/** Dash by protocol so the three ways through a defense never rely on colour alone. */
const DASH = { none: '', plain: '7 4', adaptive: '2 3' } as const;

export const seriesKey = (s: { variant: string; defense: string; adaptive: boolean }) =>
  `${s.variant} / ${s.defense === 'none' ? 'no defense' : s.defense}${s.defense === 'none' ? '' : s.adaptive ? ' (adaptive)' : ' (plain)'}`;

export function seriesStyle(s: Series, variants: string[]): { color: string; dash: string } {
  const i = Math.max(0, variants.indexOf(s.variant));
  const dash = s.defense === 'none' ? DASH.none : s.adaptive ? DASH.adaptive : DASH.plain;
  return { color: PALETTE[i % PALETTE.length]!, dash };
}

/** The series of one attack, in a stable order (variants as listed, then defense, then adaptive). */
export function buildSeries(rows: Row[], clean: CleanRow[], attack: string, variants: string[]): Series[] {
  const by = new Map<string, Series>();
  for (const r of rows.filter((x) => x.attack === attack)) {
    const k = JSON.stringify([r.variant, r.defense, r.adaptive]);
    if (!by.has(k)) {
      const c = clean.find((x) => x.variant === r.variant && x.defense === r.defense);
      by.set(k, { variant: r.variant, defense: r.defense, adaptive: r.adaptive, points: c ? [[0, c.accuracy]] : [] });
    }
    by.get(k)!.points.push([r.epsilon, r.accuracy]);
  }
  const out = [...by.values()];
  for (const s of out) s.points.sort((a, b) => a[0] - b[0]);
  const rank = (s: Series) => [variants.indexOf(s.variant), s.defense === 'none' ? 0 : 1, s.adaptive ? 1 : 0];
  return out.sort((a, b) => {
    const ra = rank(a), rb = rank(b);
    return ra[0]! - rb[0]! || ra[1]! - rb[1]! || ra[2]! - rb[2]!;
  });
}

/** Chart geometry in SVG units: width, height and the left/right/top/bottom margins of the plot area. */
export const CHART = { W: 420, H: 260, L: 48, R: 12, T: 12, B: 40 } as const;
const { W, H, L, R, T, B } = CHART;
const fmt = (x: number) => String(Number(x.toPrecision(4)));

/** The stroke-dasharray attribute, or nothing for a solid line. */
const dashAttr = (dash: string) => (dash ? html` stroke-dasharray="${dash}"` : '');

/** An SVG chart (axes, ticks, gridlines, one polyline with markers per series); the legend is HTML. */
export function renderChart(series: Series[], variants: string[], label: string): Html {
  const xmax = Math.max(1e-9, ...series.flatMap((s) => s.points.map((p) => p[0])));
  const sx = (e: number) => L + (e / xmax) * (W - L - R);
  const sy = (a: number) => T + (1 - a) * (H - T - B);
  const xticks = [...new Set([0, ...series.flatMap((s) => s.points.map((p) => p[0]))])].sort((a, b) => a - b);
  const grid = [0, 0.25, 0.5, 0.75, 1].map((a) =>
    html`<line class="grid" x1="${L}" x2="${W - R}" y1="${sy(a)}" y2="${sy(a)}"/><text x="${L - 6}" y="${sy(a) + 4}" text-anchor="end">${a * 100}%</text>`);
  const xt = xticks.map((e) =>
    html`<line class="axis" x1="${sx(e)}" x2="${sx(e)}" y1="${H - B}" y2="${H - B + 5}"/><text x="${sx(e)}" y="${H - B + 18}" text-anchor="middle">${fmt(e)}</text>`);
  const lines = series.map((s) => {
    const { color, dash } = seriesStyle(s, variants);
    const pts = s.points.map(([e, a]) => `${fmt(sx(e))},${fmt(sy(a))}`).join(' ');
    const dots = s.points.map(([e, a]) => html`<circle cx="${fmt(sx(e))}" cy="${fmt(sy(a))}" r="3" fill="${color}"/>`);
    return html`<g><title>${seriesKey(s)}</title><polyline data-series="${seriesKey(s)}" fill="none" stroke="${color}" stroke-width="2"${dashAttr(dash)} points="${pts}"/>${dots}</g>`;
  });
  const axes = html`<line class="axis" x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}"/><line class="axis" x1="${L}" x2="${L}" y1="${T}" y2="${H - B}"/>`;
  const titles = html`<text x="${(L + W - R) / 2}" y="${H - 4}" text-anchor="middle">epsilon</text><text transform="translate(12 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">accuracy</text>`;
  return html`<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${label}" class="chart">${grid}${axes}${xt}${titles}${lines}</svg>`;
}

/** The legend: a list with a swatch drawn in the same colour and dash as the line. */
export function renderLegend(series: Series[], variants: string[]): Html {
  const items = series.map((s) => {
    const { color, dash } = seriesStyle(s, variants);
    const sw = html`<svg width="36" height="10" aria-hidden="true"><line x1="0" y1="5" x2="36" y2="5" stroke="${color}" stroke-width="2"${dashAttr(dash)}/></svg>`;
    return html`<li>${sw} ${seriesKey(s)}</li>`;
  });
  return html`<ul class="legend">${items}</ul>`;
}
