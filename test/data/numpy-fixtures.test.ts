// Files written by numpy itself (test/fixtures/npz/make.py, numpy 2.4) parse as numpy wrote them.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { EngineError } from '../../src/engine/errors';
import { parseNpz } from '../../src/engine/data/npz';
import { datasetFromNpz } from '../../src/engine/data/dataset';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/npz/${name}`, import.meta.url)));

describe('numpy-written .npz', () => {
  for (const file of ['dtypes.npz', 'dtypes-compressed.npz']) {
    it(`reads every supported dtype from ${file}`, () => {
      const a = parseNpz(fixture(file));
      expect(Object.keys(a).sort()).toEqual(['b1', 'f4', 'f8', 'i1', 'i2', 'i4', 'i8', 'm3', 'u1', 'u2', 'u4'].sort());
      expect(a.u1).toEqual({ dtype: 'uint8', shape: [2], data: Uint8Array.of(0, 255) });
      expect(a.i1.data).toEqual(Int8Array.of(-128, 127));
      expect(a.u2.data).toEqual(Uint16Array.of(0, 65535));
      expect(a.i2.data).toEqual(Int16Array.of(-32768, 32767));
      expect(a.u4.data).toEqual(Uint32Array.of(0, 4294967295));
      expect(a.i4.data).toEqual(Int32Array.of(-(2 ** 31), 2 ** 31 - 1));
      expect(a.i8).toEqual({ dtype: 'int64', shape: [2], data: Int32Array.of(-(2 ** 31), 2 ** 31 - 1) });
      expect(a.f4.data).toEqual(Float32Array.of(0.5, -1.25));
      expect(a.f8.data).toEqual(Float64Array.of(0.1, 1e300));
      expect(a.b1).toEqual({ dtype: 'bool', shape: [2], data: Uint8Array.of(1, 0) });
      expect(a.m3.shape).toEqual([2, 3, 4]);
      expect(Array.from(a.m3.data)).toEqual(Array.from({ length: 24 }, (_, i) => i));
    });
  }

  it('reads savez (uint8 x, int64 y) and savez_compressed (float32 x) as data sets', () => {
    const u8 = datasetFromNpz(fixture('savez.npz'), 'u8');
    expect(u8.shape).toEqual([3, 2, 2, 1]);
    expect(Array.from(u8.x)).toEqual(Array.from({ length: 12 }, (_, i) => i * 20));
    expect(Array.from(u8.y)).toEqual([2, 0, 1]);
    const f = datasetFromNpz(fixture('savez-compressed.npz'), 'f');
    expect(f.x).toBeInstanceOf(Float32Array);
    expect(Array.from(f.x)).toEqual(Array.from({ length: 12 }, (_, i) => Math.fround((i * 20) / 255)));
  });

  it('refuses numpy files that are fortran-ordered, big-endian or lack x and y', () => {
    const cases: [string, RegExp][] = [['fortran.npz', /fortran_order/], ['big-endian.npz', /big-endian/], ['positional.npz', /got 'arr_0', 'arr_1'/]];
    for (const [file, re] of cases) {
      expect(() => datasetFromNpz(fixture(file), 'bad')).toThrow(EngineError);
      expect(() => datasetFromNpz(fixture(file), 'bad')).toThrow(re);
    }
  });
});
