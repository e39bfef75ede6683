import { describe, expect, it } from 'vitest';
import { EngineError } from '../../../src/engine/errors';
import { mnistSplits } from '../../../src/engine/data/mnist';

const P = 784;
/** Class d has counts[d] images; image i of class d is filled with the float (d * 10 + i) / 255. */
function synthetic(counts: number[]): number[][] {
  return counts.map((n, d) => Array.from({ length: n * P }, (_, k) => (d * 10 + Math.floor(k / P)) / 255));
}

describe('mnistSplits', () => {
  const counts = [5, 1, 3, 0, 2, 4, 5, 6, 2, 3];
  const { train, test } = mnistSplits(synthetic(counts));

  it('takes the first floor(0.8 n) of each class for training and the rest for testing', () => {
    const cut = counts.map((n) => Math.floor(0.8 * n));
    expect(train.shape).toEqual([cut.reduce((a, b) => a + b), 28, 28, 1]);
    expect(test.shape[0]).toBe(counts.reduce((a, b) => a + b) - train.shape[0]);
    for (let d = 0; d < 10; d++) {
      expect(train.y.filter((v) => v === d).length).toBe(cut[d]);
      expect(test.y.filter((v) => v === d).length).toBe(counts[d] - cut[d]);
    }
    expect(train.x).toBeInstanceOf(Uint8Array);
    expect(train.x.length).toBe(train.shape[0] * P);
  });

  it('orders each split round-robin over classes, skipping exhausted ones', () => {
    // train cuts: [4, 0, 2, 0, 1, 3, 4, 4, 1, 2]
    expect(Array.from(train.y)).toEqual([0, 2, 4, 5, 6, 7, 8, 9, 0, 2, 5, 6, 7, 9, 0, 5, 6, 7, 0, 6, 7]);
    // test: the remaining [1, 1, 1, 0, 1, 1, 1, 2, 1, 1]
    expect(Array.from(test.y)).toEqual([0, 1, 2, 4, 5, 6, 7, 8, 9, 7]);
  });

  it('stores each pixel as Math.round(v * 255), image by image in that order', () => {
    // The k-th train sample of class d is image k of the class; the test split starts at the cut.
    expect(train.x[0]).toBe(0); // class 0 image 0
    expect(train.x[1 * P]).toBe(20); // class 2 image 0
    expect(train.x[8 * P + P - 1]).toBe(1); // class 0 image 1
    expect(test.x[0]).toBe(4); // class 0 image 4 (cut of 5 is 4)
    expect(test.x[9 * P]).toBe(75); // class 7 image 5
  });

  it('refuses classes that are not whole images or not in [0, 1]', () => {
    const bad = synthetic(counts);
    bad[2] = bad[2].slice(1);
    expect(() => mnistSplits(bad)).toThrow(EngineError);
    const nan = synthetic(counts);
    nan[0][3] = NaN;
    expect(() => mnistSplits(nan)).toThrow(/values in \[0, 1\], got NaN/);
    expect(() => mnistSplits(synthetic([1, 2]))).toThrow(/10 digit classes/);
  });
});
