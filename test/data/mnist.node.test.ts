import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadBuiltinMnist } from '../../src/data/mnist.node';

const P = 784;
const digits = (d: number): number[] =>
  JSON.parse(readFileSync(createRequire(import.meta.url).resolve(`mnist/src/digits/${d}.json`), 'utf8')).data;

describe('loadBuiltinMnist', () => {
  const { train, test } = loadBuiltinMnist();

  it('splits the package 7996 / 2004 as uint8 [N, 28, 28, 1]', () => {
    expect(train.shape).toEqual([7996, 28, 28, 1]);
    expect(test.shape).toEqual([2004, 28, 28, 1]);
    for (const ds of [train, test]) {
      expect(ds.x).toBeInstanceOf(Uint8Array);
      expect(ds.x.length).toBe(ds.shape[0] * P);
      expect(ds.y.length).toBe(ds.shape[0]);
      let max = 0;
      for (const v of ds.x) max = Math.max(max, v);
      expect(max).toBe(255);
    }
    expect(train.name).toBe('mnist-train');
    expect(test.name).toBe('mnist-test');
  });

  it('is class-interleaved, so any prefix is balanced', () => {
    expect(Array.from(train.y.subarray(0, 20))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const counts = new Array(10).fill(0);
    for (const v of test.y.subarray(0, 1000)) counts[v]++;
    expect(counts).toEqual(new Array(10).fill(100));
  });

  it('holds the package images, test split starting after the first floor(0.8 n) of each class', () => {
    const zeros = digits(0); // 1001 images: train takes 800
    expect(zeros.length / P).toBe(1001);
    expect(Array.from(train.x.subarray(0, P))).toEqual(zeros.slice(0, P).map((v) => Math.round(v * 255)));
    expect(Array.from(test.x.subarray(0, P))).toEqual(zeros.slice(800 * P, 801 * P).map((v) => Math.round(v * 255)));
  });

  it('loads once per process', () => {
    expect(loadBuiltinMnist().train).toBe(train);
  });
});
