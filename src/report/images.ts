// Example images as inline SVG (one path per colour, runs merged per row): works under a CSP without img-src.
import { html, type Html } from './template';

/** Pixels 0-255, HWC flattened. */
export interface Pixels { shape: [number, number, number]; data: number[] }

const clamp = (v: number) => Math.max(0, Math.min(255, Math.round(v)));
const hex = (v: number) => clamp(v).toString(16).padStart(2, '0');

/** The colour of pixel (y, x): grey for one channel, RGB from the first three otherwise. */
function colourAt(p: Pixels, y: number, x: number): string {
  const [, w, c] = p.shape;
  const o = (y * w + x) * c;
  const r = p.data[o]!, g = c >= 3 ? p.data[o + 1]! : r, b = c >= 3 ? p.data[o + 2]! : r;
  return `#${hex(r)}${hex(g)}${hex(b)}`;
}

/** An SVG image of the pixels, drawn at `size` CSS pixels wide, labelled for screen readers. */
export function pixelSvg(p: Pixels, label: string, size = 112): Html {
  const [h, w] = p.shape;
  const paths = new Map<string, string[]>();
  for (let y = 0; y < h; y++) {
    let x = 0;
    while (x < w) {
      const col = colourAt(p, y, x);
      let end = x + 1;
      while (end < w && colourAt(p, y, end) === col) end++;
      if (!paths.has(col)) paths.set(col, []);
      paths.get(col)!.push(`M${x} ${y}h${end - x}v1h${x - end}z`);
      x = end;
    }
  }
  const body = [...paths].map(([col, d]) => html`<path fill="${col}" d="${d.join('')}"/>`);
  return html`<svg class="px" viewBox="0 0 ${w} ${h}" width="${size}" height="${Math.round((size * h) / w)}" role="img" aria-label="${label}" shape-rendering="crispEdges">${body}</svg>`;
}

/**
 * The perturbation adversarial - original, magnified so that its largest |value| maps to full contrast around
 * mid-grey (128). Returns the pixels and the magnification used (1 when there is no perturbation).
 */
export function perturbation(original: number[], adversarial: number[], shape: [number, number, number]): { pixels: Pixels; gain: number } {
  const diff = adversarial.map((v, i) => v - original[i]!);
  const peak = diff.reduce((m, d) => Math.max(m, Math.abs(d)), 0); // no spread: an image has 10^5 values
  const gain = peak > 0 ? 127 / peak : 1;
  return { pixels: { shape, data: diff.map((d) => clamp(128 + d * gain)) }, gain };
}
