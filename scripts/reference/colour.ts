// The 32x32x3 colour MNIST of the reference models: each digit padded 28->32 and painted with its own seeded colours.
import { Rng } from '../../src/engine/rng';
import type { Dataset } from '../../src/engine/data/types';

/** The seed of the published reference fixtures (test/fixtures/models/*-rgb32). */
export const COLOUR_SEED = 12;
/** A foreground/background pair is redrawn until the channels differ by this much on average, so every digit stays legible. */
const MIN_MEAN_CONTRAST = 96;

/**
 * Sample i of split `ds` (uint8 [N, 28, 28, 1]) becomes [32, 32, 3]: 2 pixels of background on every side, and
 * each pixel round((bg * (255 - v) + fg * v) / 255) per channel, where v is the grey byte and fg/bg are drawn
 * from Rng(seed, 'rgb32', ds.name, i). Integer arithmetic with no ties (255 is odd), so any language reproduces it.
 */
export function colourMnist(ds: Dataset, seed = COLOUR_SEED): Dataset {
  const [n, h, w, c] = ds.shape;
  if (!(ds.x instanceof Uint8Array) || h !== 28 || w !== 28 || c !== 1) {
    throw new Error(`expected uint8 [N, 28, 28, 1] MNIST, got ${ds.x.constructor.name} [${ds.shape.join(', ')}]`);
  }
  const S = 32;
  const pad = (S - 28) / 2;
  const x = new Uint8Array(n * S * S * 3);
  for (let i = 0; i < n; i++) {
    const [fg, bg] = colours(new Rng(seed, 'rgb32', ds.name, i));
    const src = ds.x.subarray(i * 784, (i + 1) * 784);
    const base = i * S * S * 3;
    for (let r = 0; r < S; r++) {
      for (let q = 0; q < S; q++) {
        const inside = r >= pad && r < pad + 28 && q >= pad && q < pad + 28;
        const v = inside ? src[(r - pad) * 28 + (q - pad)] : 0;
        for (let k = 0; k < 3; k++) x[base + (r * S + q) * 3 + k] = Math.round((bg[k] * (255 - v) + fg[k] * v) / 255);
      }
    }
  }
  return { name: `${ds.name}-rgb32`, x, y: ds.y, shape: [n, S, S, 3] };
}

function colours(rng: Rng): [number[], number[]] {
  for (;;) {
    const fg = [rng.int(256), rng.int(256), rng.int(256)];
    const bg = [rng.int(256), rng.int(256), rng.int(256)];
    if (fg.reduce((s, f, k) => s + Math.abs(f - bg[k]), 0) / 3 >= MIN_MEAN_CONTRAST) return [fg, bg];
  }
}
