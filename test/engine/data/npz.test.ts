import { describe, expect, it } from 'vitest';
import { deflateSync } from 'fflate';
import { EngineError } from '../../../src/engine/errors';
import { NPZ_MAX_ENTRIES, parseNpz, writeNpz, type NpyArray } from '../../../src/engine/data/npz';
import { concat, craftZip, f32, npyBytes } from './craft';

function refuses(fn: () => unknown, code: string, message: RegExp): void {
  let caught: unknown;
  try { fn(); } catch (err) { caught = err; }
  expect(caught).toBeInstanceOf(EngineError);
  expect((caught as EngineError).code).toBe(code);
  expect((caught as EngineError).message).toMatch(message);
}

const ONE: Record<string, NpyArray> = {
  u1: { dtype: 'uint8', shape: [2], data: Uint8Array.of(0, 255) },
  i1: { dtype: 'int8', shape: [2], data: Int8Array.of(-128, 127) },
  u2: { dtype: 'uint16', shape: [2], data: Uint16Array.of(0, 65535) },
  i2: { dtype: 'int16', shape: [2], data: Int16Array.of(-32768, 32767) },
  u4: { dtype: 'uint32', shape: [2], data: Uint32Array.of(0, 4294967295) },
  i4: { dtype: 'int32', shape: [2], data: Int32Array.of(-(2 ** 31), 2 ** 31 - 1) },
  i8: { dtype: 'int64', shape: [3], data: Int32Array.of(-(2 ** 31), -1, 2 ** 31 - 1) },
  f4: { dtype: 'float32', shape: [2, 1, 2], data: Float32Array.of(0.5, -1.25, Infinity, 3) },
  f8: { dtype: 'float64', shape: [2], data: Float64Array.of(0.1, 1e300) },
  b1: { dtype: 'bool', shape: [3], data: Uint8Array.of(1, 0, 1) },
  e0: { dtype: 'float32', shape: [0, 4], data: new Float32Array(0) },
};

describe('npz round trip', () => {
  for (const compress of [false, true]) {
    it(`keeps every dtype, shape and value (${compress ? 'deflate' : 'stored'})`, () => {
      const bytes = writeNpz(ONE, { compress });
      expect(parseNpz(bytes)).toEqual(ONE);
      expect(writeNpz(ONE, { compress })).toEqual(bytes); // deterministic bytes
    });
  }

  it('refuses to write an unsafe name or mismatched data', () => {
    refuses(() => writeNpz({ '../x': ONE.u1 }), 'invalid_argument', /names/);
    refuses(() => writeNpz({ x: { dtype: 'uint8', shape: [3], data: Uint8Array.of(1) } }), 'invalid_argument', /length 3/);
    refuses(() => writeNpz({ x: { dtype: 'float32', shape: [1], data: Uint8Array.of(1) } }), 'invalid_argument', /Float32Array/);
  });
});

describe('hand-built npz', () => {
  const header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }";
  for (const version of [1, 2, 3] as const) {
    it(`parses an NPY v${version} header assembled byte by byte`, () => {
      const npz = craftZip([{ name: 'x.npy', data: npyBytes(header, f32(0, 0.25, 0.5, 1), version) }]);
      const { x } = parseNpz(npz);
      expect(x.dtype).toBe('float32');
      expect(x.shape).toEqual([2, 2]);
      expect(Array.from(x.data)).toEqual([0, 0.25, 0.5, 1]);
    });
  }

  it('reads sizes from a zip64 extra field', () => {
    const data = npyBytes("{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", Uint8Array.of(4, 5));
    for (const deflate of [false, true]) {
      expect(parseNpz(craftZip([{ name: 'x.npy', data, deflate, zip64: true }])).x.data).toEqual(Uint8Array.of(4, 5));
    }
  });

  it('parses deflated entries, double quotes, 1-d tuples and Python 2 long dims', () => {
    const h = '{"shape": (3L,), "fortran_order": False, "descr": "|u1"}';
    const { y } = parseNpz(craftZip([{ name: 'y.npy', data: npyBytes(h, Uint8Array.of(7, 8, 9)), deflate: true }]));
    expect(y).toEqual({ dtype: 'uint8', shape: [3], data: Uint8Array.of(7, 8, 9) });
  });
});

/** One-entry npz around an npy with the given header text and body. */
const npzOf = (header: string, body: Uint8Array, name = 'x.npy') => craftZip([{ name, data: npyBytes(header, body) }]);

describe('npz refusals', () => {
  it('refuses big-endian and fortran-order arrays with a fix in the message', () => {
    refuses(() => parseNpz(npzOf("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", f32(1))), 'invalid_data', /big-endian.*astype/);
    refuses(() => parseNpz(npzOf("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", f32(1))), 'invalid_data', /fortran_order/);
  });

  it('refuses data whose length is not the shape times the item size', () => {
    refuses(() => parseNpz(npzOf("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", f32(1, 2, 3))),
      'invalid_data', /\[2, 2\] x 4 bytes = 16 bytes, got 12 bytes/);
    refuses(() => parseNpz(npzOf("{'descr': '<f4', 'fortran_order': False, 'shape': (9999999999999999, 9999999999999999), }", f32(1))),
      'invalid_data', /expected/);
  });

  it('refuses unsupported dtypes and headers that are not the expected literal', () => {
    const cases: [string, RegExp][] = [
      ["{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", /dtype among.*'<c8'/],
      ["{'descr': '<u8', 'fortran_order': False, 'shape': (1,), }", /'<u8'/],
      ["{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", /structured/],
      ["{'descr': __import__('os').system('x'), 'fortran_order': False, 'shape': (1,), }", /NPY header/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': True}", /keys/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", /dimension/],
      ["{'descr': '<f4', 'fortran_order': False, 'shape': (1,) ", /'}'/],
    ];
    for (const [h, re] of cases) refuses(() => parseNpz(npzOf(h, f32(1))), 'invalid_data', re);
  });

  it('refuses int64 values outside int32 and bool bytes other than 0/1', () => {
    const big = new Uint8Array(new BigInt64Array([2n ** 40n]).buffer);
    refuses(() => parseNpz(npzOf("{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", big)), 'invalid_data', /int32 range/);
    refuses(() => parseNpz(npzOf("{'descr': '|b1', 'fortran_order': False, 'shape': (1,), }", Uint8Array.of(2))), 'invalid_data', /bool/);
  });

  it('refuses path traversal and other non-plain entry names', () => {
    const data = npyBytes("{'descr': '|u1', 'fortran_order': False, 'shape': (1,), }", Uint8Array.of(1));
    for (const name of ['../x.npy', 'a/x.npy', 'a\\x.npy', '/x.npy', 'x..npy']) {
      refuses(() => parseNpz(craftZip([{ name, data }])), 'invalid_data', /path traversal/);
    }
    for (const name of ['__proto__.npy', '.x.npy', 'x.txt', 'x\u00e9.npy', 'dir/']) {
      refuses(() => parseNpz(craftZip([{ name, data }])), 'invalid_data', /plain entry names/);
    }
    refuses(() => parseNpz(craftZip([{ name: 'x.npy', data }, { name: 'x.npy', data }])), 'invalid_data', /twice/);
  });

  it('refuses a declared-size zip bomb before inflating anything', () => {
    // The compressed bytes are garbage: reaching the inflater would give a deflate error instead.
    const garbage = Uint8Array.of(0xff, 0xff, 0xff, 0xff);
    refuses(() => parseNpz(craftZip([{ name: 'x.npy', data: new Uint8Array(0), raw: garbage, declaredSize: 0xfffffff0 }])),
      'limit_exceeded', /at most 268435456 bytes.*declaring 4294967280/);
    refuses(() => parseNpz(craftZip([{ name: 'x.npy', data: new Uint8Array(0), raw: garbage, declaredSize: 5000 }]), { maxEntryBytes: 4096 }),
      'limit_exceeded', /at most 4096/);
    const two = craftZip([{ name: 'a.npy', data: new Uint8Array(600) }, { name: 'b.npy', data: new Uint8Array(600) }]);
    refuses(() => parseNpz(two, { maxTotalBytes: 1000 }), 'limit_exceeded', /at most 1000 bytes uncompressed in the .npz, got 1200/);
    // A tiny file declaring a size deflate cannot reach from it is refused before allocating it.
    refuses(() => parseNpz(craftZip([{ name: 'x.npy', data: new Uint8Array(0), raw: garbage, declaredSize: 100_000 }])),
      'invalid_data', /zip bomb/);
  });

  it('stops inflating when an entry produces more than it declared', () => {
    const zeros = new Uint8Array(1 << 20);
    const bomb = craftZip([{ name: 'x.npy', data: zeros, deflate: true, declaredSize: 1000 }]);
    refuses(() => parseNpz(bomb), 'invalid_data', /declared 1000 bytes, got more/);
  });

  it('refuses too many entries, corrupt CRCs, non-zip bytes and truncation', () => {
    const data = npyBytes("{'descr': '|u1', 'fortran_order': False, 'shape': (1,), }", Uint8Array.of(1));
    const many = Array.from({ length: NPZ_MAX_ENTRIES + 1 }, (_, i) => ({ name: `a${i}.npy`, data }));
    refuses(() => parseNpz(craftZip(many)), 'limit_exceeded', /at most 16 arrays/);
    refuses(() => parseNpz(craftZip([{ name: 'x.npy', data, crc: 1234 }])), 'invalid_data', /CRC-32/);
    refuses(() => parseNpz(new TextEncoder().encode('not a zip at all, just text')), 'invalid_data', /zip archive/);
    refuses(() => parseNpz(new Uint8Array(0)), 'invalid_data', /zip archive/);
    const ok = craftZip([{ name: 'x.npy', data, deflate: true }]);
    refuses(() => parseNpz(concat([ok.subarray(0, 20), ok.subarray(ok.length - 22)])), 'invalid_data', /expected/);
    const deflated = craftZip([{ name: 'x.npy', data: new Uint8Array(0), raw: deflateSync(data).subarray(0, 5), declaredSize: data.length }]);
    refuses(() => parseNpz(deflated), 'invalid_data', /deflate stream|inflate/);
  });

  it('never crashes on corrupted files: each either parses or gives invalid_data / limit_exceeded', () => {
    const good = writeNpz({ x: ONE.f4, y: ONE.i8 }, { compress: true });
    let seed = 12345;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const outcomes = new Set<string>();
    for (let t = 0; t < 400; t++) {
      let bad = good.slice();
      if (t % 4 === 0) bad = bad.subarray(0, Math.floor(next() * bad.length));
      else for (let k = 0; k < 1 + (t % 3); k++) bad[Math.floor(next() * bad.length)] = Math.floor(next() * 256);
      try {
        parseNpz(bad, { maxTotalBytes: 1 << 20 });
        outcomes.add('parsed');
      } catch (err) {
        expect(err).toBeInstanceOf(EngineError);
        expect(['invalid_data', 'limit_exceeded']).toContain((err as EngineError).code);
        outcomes.add((err as EngineError).code);
      }
    }
    expect(outcomes.has('invalid_data')).toBe(true);
  });
});
