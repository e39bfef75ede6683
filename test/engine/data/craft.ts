// Test helper: assembles .npy and .zip bytes by hand, including deliberately hostile ones.
import { deflateSync } from 'fflate';
import { crc32 } from '../../../src/engine/data/zip';

/** An .npy file from a literal header dict (padded as numpy pads) and raw body bytes. */
export function npyBytes(header: string, body: Uint8Array, version: 1 | 2 | 3 = 1): Uint8Array {
  const pre = version === 1 ? 10 : 12;
  const h = header.padEnd(Math.ceil((pre + header.length + 1) / 64) * 64 - pre - 1, ' ') + '\n';
  const out = new Uint8Array(pre + h.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, h.length, true); else view.setUint32(8, h.length, true);
  out.set(new TextEncoder().encode(h), pre);
  out.set(body, pre + h.length);
  return out;
}

export function f32(...v: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(v).buffer);
}

export interface CraftEntry {
  name: string;
  data: Uint8Array;
  deflate?: boolean;
  /** Overrides the uncompressed size written in both headers (to lie about it). */
  declaredSize?: number;
  crc?: number;
  /** Uses these bytes verbatim as the compressed data. */
  raw?: Uint8Array;
  /** Writes both sizes as 0xffffffff in the central directory, the real ones in a zip64 extra field. */
  zip64?: boolean;
}

/** A zip archive written field by field (no zip64), so tests control every declared value. */
export function craftZip(entries: CraftEntry[]): Uint8Array {
  const enc = new TextEncoder();
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = enc.encode(e.name);
    const comp = e.raw ?? (e.deflate ? deflateSync(e.data) : e.data);
    const fields = {
      method: e.deflate || e.raw ? 8 : 0,
      crc: e.crc ?? crc32(e.data),
      csize: comp.length,
      usize: e.declaredSize ?? e.data.length,
    };
    const local = new Uint8Array(30 + name.length + comp.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(8, fields.method, true);
    lv.setUint32(14, fields.crc, true);
    lv.setUint32(18, fields.csize, true);
    lv.setUint32(22, fields.usize, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    local.set(comp, 30 + name.length);
    const extra = e.zip64 ? 20 : 0;
    const central = new Uint8Array(46 + name.length + extra);
    const cv = new DataView(central.buffer);
    if (e.zip64) {
      cv.setUint16(46 + name.length, 1, true);
      cv.setUint16(48 + name.length, 16, true);
      cv.setBigUint64(50 + name.length, BigInt(fields.usize), true);
      cv.setBigUint64(58 + name.length, BigInt(fields.csize), true);
      fields.usize = fields.csize = 0xffffffff;
      cv.setUint16(30, extra, true);
    }
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, fields.method, true);
    cv.setUint32(16, fields.crc, true);
    cv.setUint32(20, fields.csize, true);
    cv.setUint32(24, fields.usize, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    central.set(name, 46);
    locals.push(local);
    centrals.push(central);
    offset += local.length;
  }
  const cdSize = centrals.reduce((s, c) => s + c.length, 0);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, entries.length, true);
  ev.setUint16(10, entries.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  return concat([...locals, ...centrals, eocd]);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** An npz of x (float32 [n, ...shape]) and y (int32 [n]) built by hand. */
export function xyNpz(xHeader: string, xBody: Uint8Array, yHeader: string, yBody: Uint8Array): Uint8Array {
  return craftZip([{ name: 'x.npy', data: npyBytes(xHeader, xBody) }, { name: 'y.npy', data: npyBytes(yHeader, yBody) }]);
}
