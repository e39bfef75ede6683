// The retraining loss chart's parts, geometry and scales, shared by the report page (loss.ts) and the live page's
// script (src/ui/client/retrain.ts), which draws the same chart in the browser: no runtime import, for that bundle.
import type { LossPoint } from '../jobs/types';

/** The plotted parts of a loss point, in legend order, with colour and dash (dashes tell them apart without colour). */
export const LOSS_PARTS = [
  { key: 'loss', label: 'total loss', color: '#0072B2', dash: '' },
  { key: 'ce', label: 'cross-entropy', color: '#D55E00', dash: '7 4' },
  { key: 'boundary', label: 'boundary term', color: '#009E73', dash: '2 3' },
  { key: 'distill', label: 'distillation term', color: '#CC79A7', dash: '10 3 2 3' },
] as const;
export type LossPart = (typeof LOSS_PARTS)[number];

/** Chart geometry in SVG units, shared with the robustness charts' look. */
export const LOSS_CHART = { W: 420, H: 260, L: 48, R: 12, T: 12, B: 40 } as const;
const { W, H, L, R, T, B } = LOSS_CHART;

/** The smallest of 1, 2, 2.5, 5 x 10^k that is >= x: a y-axis top whose quarters are round numbers. */
export function niceCeil(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= x * (1 - 1e-12)) return m * p;
  return 10 * p;
}

/**
 * The x-axis ticks: multiples of the smallest of 1, 2, 5 x 10^k that gives at most five ticks, so labels are evenly
 * spaced integers (0, 2, 4, 6), never rounded quarters (0, 2, 3, 5, 6). The live page's script repeats this.
 */
export function stepTicks(xmax: number): number[] {
  let step = 1;
  for (let p = 1; ; p *= 10) {
    const s = [1, 2, 5].map((m) => m * p).find((c) => xmax / c <= 4);
    if (s !== undefined) {
      step = s;
      break;
    }
  }
  return Array.from({ length: Math.floor(xmax / step) + 1 }, (_, i) => i * step);
}

/** The parts that every point of the curve has (a method without a boundary term has no boundary line). */
export function presentParts(points: LossPoint[]): LossPart[] {
  return LOSS_PARTS.filter((p) => points.length > 0 && points.every((x) => Number.isFinite(x[p.key])));
}

/** Scales: x from step 0 to the last step, y from 0 to a round number above the largest plotted value. */
export function lossScales(points: LossPoint[]) {
  const parts = presentParts(points);
  const xmax = Math.max(1, ...points.map((p) => p.step));
  const ymax = niceCeil(Math.max(0, ...points.flatMap((p) => parts.map((s) => p[s.key] as number))));
  return {
    parts, xmax, ymax,
    sx: (s: number) => L + (s / xmax) * (W - L - R),
    sy: (v: number) => T + (1 - Math.max(0, v) / ymax) * (H - T - B),
  };
}
