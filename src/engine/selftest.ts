// Start-up self-test: one conv2d gradient (input and filter) against numbers worked out by hand.
// The wasm backend is started through package internals (backend.ts), so a broken kernel must
// fail loudly at start-up rather than yield silently wrong attacks.
import * as tf from '@tensorflow/tfjs-core';
import { EngineError } from './errors';
import { conv2d } from './ops/index';

interface Case {
  strides: [number, number];
  /** dL/dy, so that L = sum(conv2d(x, w) * dy). */
  dy: number[];
  dyShape: [number, number, number, number];
  dx: number[];
  dw: number[];
}

// x = [[1,2,3],[4,5,6],[7,8,9]] (1x3x3x1), w = [[1,2],[3,4]] (2x2x1x1), 'valid'.
// Stride 1, y[i,j] = sum_ab x[i+a,j+b] w[a,b], dy = r = [[1,2],[3,4]]:
//   dw[a,b] = sum_ij r[i,j] x[i+a,j+b]: dw00 = 1*1+2*2+3*4+4*5 = 37, dw01 = 1*2+2*3+3*5+4*6 = 47,
//             dw10 = 1*4+2*5+3*7+4*8 = 67, dw11 = 1*5+2*6+3*8+4*9 = 77 (sum 228 = sum_ij r*window sum).
//   dx[p,q] = sum_ij r[i,j] w[p-i,q-j]: row 0: 1, 2+2, 4; row 1: 3+3, 4+6+6+4, 8+8; row 2: 9, 12+12, 16
//             (sum 100 = sum(r) * sum(w)).
// Stride 2: one output y = 1*1+2*2+4*3+5*4, dy = 2: dx = 2*w on the top-left 2x2, 0 elsewhere;
//   dw = 2 * [1,2,4,5] (exercises the stride-dilation and the cropping of unread rows).
const CASES: Case[] = [
  { strides: [1, 1], dy: [1, 2, 3, 4], dyShape: [1, 2, 2, 1], dx: [1, 4, 4, 6, 20, 16, 9, 24, 16], dw: [37, 47, 67, 77] },
  { strides: [2, 2], dy: [2], dyShape: [1, 1, 1, 1], dx: [2, 4, 0, 6, 8, 0, 0, 0, 0], dw: [2, 4, 8, 10] },
];

/** Throws EngineError('engine_failure') unless conv2d's gradients match the hand-computed values. */
export function selfTest(): void {
  for (const c of CASES) {
    const [dx, dw] = tf.tidy(() => {
      const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
      const w = tf.tensor4d([1, 2, 3, 4], [2, 2, 1, 1]);
      const dy = tf.tensor4d(c.dy, c.dyShape);
      const loss = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, 'valid'), dy));
      return tf.grads(loss)([x, w]).map((g) => Array.from(g.dataSync()));
    });
    const ok = close(dx, c.dx) && close(dw, c.dw);
    if (!ok) {
      throw new EngineError(
        'engine_failure',
        `expected conv2d gradients (stride ${c.strides[0]}) dx=[${c.dx}] dw=[${c.dw}], got dx=[${dx}] dw=[${dw}]`,
      );
    }
  }
}

function close(got: number[], want: number[]): boolean {
  return got.length === want.length && got.every((v, i) => Math.abs(v - want[i]) <= 1e-4 * Math.max(1, Math.abs(want[i])));
}
