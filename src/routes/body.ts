// Request bodies under explicit limits: raw bytes (413 past the limit), JSON, and model uploads (multipart or zip).
import type { MiddlewareHandler } from 'hono';
import { readEntry, readZipDirectory, type ZipEntry } from '../engine/data/zip';
import { EngineError } from '../engine/errors';
import { ONNX_FILE, onnxDataFiles, onnxModelJson } from '../engine/model/files';
import { MAX_MODEL_JSON_BYTES, preflightModel } from './manifest';
import { ProblemError } from './problem';

/** The body's bytes; 413 as soon as the declared or the streamed length passes `max`. */
export async function readBody(req: Request, max: number): Promise<Uint8Array> {
  const declared = Number(req.headers.get('content-length') ?? NaN);
  // The unread rest of the body stays on the socket: `connection: close` keeps a client from reusing it.
  const tooLarge = (n: string) => new ProblemError(413, 'too_large', `expected a body of at most ${max} bytes, got ${n}`, 'body', { connection: 'close' });
  if (Number.isFinite(declared) && declared > max) throw tooLarge(String(declared));
  if (!req.body) return new Uint8Array(0);
  const reader = req.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge('more');
    }
    parts.push(value);
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.byteLength; }
  return out;
}

export function mediaType(req: Request): string {
  return (req.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * Reads every request body once, under the limit `maxFor(path)` (413 past it), into Hono's body cache: handlers and
 * validators then parse the cached bytes (c.req.json(), c.req.arrayBuffer()) and never read an unbounded stream.
 */
export function boundedBody(maxFor: (path: string) => number): MiddlewareHandler {
  return async (c, next) => {
    if (c.req.raw.body) {
      const bytes = await readBody(c.req.raw, maxFor(c.req.path));
      // Hono keeps promises of parsed bodies here (its types say otherwise).
      (c.req.bodyCache as Record<string, unknown>).arrayBuffer = Promise.resolve(bytes.buffer);
    }
    await next();
  };
}

/** An uploaded model: model.json's bytes and the other files by file name. */
export interface ModelFiles {
  json: Uint8Array;
  files: Map<string, Uint8Array>;
}

/** A file name of an upload or a fetched model (no folders). */
export const FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

function addFile(out: Map<string, Uint8Array>, name: string, bytes: Uint8Array, field: string): void {
  if (!FILE_NAME.test(name) || name.includes('..')) {
    throw new ProblemError(422, 'invalid_upload', `expected file names of [A-Za-z0-9_.-] (no paths), got ${JSON.stringify(name.slice(0, 80))}`, field);
  }
  if (out.has(name)) throw new ProblemError(422, 'invalid_upload', `expected each file once, got '${name}' twice`, field);
  out.set(name, bytes);
}

const isOnnxName = (name: string) => /\.onnx$/i.test(name);

/** model.json and the other files; or one .onnx file (any name) and its external-data files, under onnxModelJson. */
function split(files: Map<string, Uint8Array>, field: string): ModelFiles {
  const json = files.get('model.json');
  const onnx = [...files.keys()].filter(isOnnxName);
  if (!json && onnx.length === 1) {
    const bytes = files.get(onnx[0]!)!;
    files.delete(onnx[0]!);
    return onnxUpload(bytes, files, field);
  }
  if (!json) {
    const got = [...files.keys()].map((n) => `'${n}'`).join(', ') || 'none';
    throw new ProblemError(422, 'invalid_upload', `expected a file named model.json, or one .onnx file, got ${got}`, field);
  }
  files.delete('model.json');
  return { json, files };
}

/** An .onnx upload: every other file must be external data the .onnx names (its names come from the protobuf). */
export function onnxUpload(bytes: Uint8Array, others: Map<string, Uint8Array>, field: string): ModelFiles {
  const named = onnxDataFiles(bytes);
  const stray = [...others.keys()].find((n) => !named.includes(n));
  if (stray !== undefined) {
    throw new ProblemError(422, 'invalid_upload', `expected only the .onnx file and the external data files it names (${named.join(', ') || 'none'}), got also '${stray.slice(0, 80)}'`, field);
  }
  return onnxModelFiles(bytes, others);
}

/** An .onnx file and its external data files as the model files qaudit stores (under onnxModelJson). */
export function onnxModelFiles(bytes: Uint8Array, data: ReadonlyMap<string, Uint8Array>): ModelFiles {
  return { json: onnxModelJson([...data.keys()]), files: new Map([[ONNX_FILE, bytes], ...data]) };
}

/** Occurrences of `needle` in `hay` (a boundary is at most 70 bytes, so the naive scan stays linear in practice). */
function countOccurrences(hay: Uint8Array, needle: Uint8Array, stopAfter: number): number {
  let n = 0;
  const first = needle[0];
  outer: for (let i = hay.indexOf(first!); i !== -1 && i + needle.length <= hay.length; i = hay.indexOf(first!, i + 1)) {
    for (let j = 1; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    if (++n > stopAfter) return n;
    i += needle.length - 1;
  }
  return n;
}

/** multipart/form-data: every part is a file, named by its filename (model.json and the shards its manifest names). */
export async function modelFromMultipart(bytes: Uint8Array, contentType: string, maxFiles: number): Promise<ModelFiles> {
  // Parts are counted by their delimiters before the body is parsed: a body of many tiny parts is refused
  // without building one File object per part.
  const boundary = /boundary=(?:"([^"]{1,70})"|([^;\s]{1,70}))/i.exec(contentType);
  if (boundary) {
    const delimiters = countOccurrences(bytes, new TextEncoder().encode(`--${boundary[1] ?? boundary[2]}`), maxFiles + 1);
    if (delimiters > maxFiles + 1) throw new ProblemError(422, 'limit_exceeded', `expected at most ${maxFiles} files, got more`, 'body');
  }
  let form: FormData;
  try {
    form = await new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { 'content-type': contentType } }).formData();
  } catch {
    throw new ProblemError(400, 'invalid_multipart', 'expected a well-formed multipart/form-data body, got one that does not parse', 'body');
  }
  const files = new Map<string, Uint8Array>();
  let count = 0;
  const parts: [string, FormDataEntryValue][] = [];
  form.forEach((value, field) => parts.push([field, value]));
  for (const [field, value] of parts) {
    if (++count > maxFiles) throw new ProblemError(422, 'limit_exceeded', `expected at most ${maxFiles} files, got more`, 'body');
    if (typeof value === 'string') throw new ProblemError(422, 'invalid_upload', `expected every part to be a file, got text field '${field.slice(0, 40)}'`, `body.${field.slice(0, 40)}`);
    addFile(files, value.name || field, new Uint8Array(await value.arrayBuffer()), `body.${field.slice(0, 40)}`);
  }
  return split(files, 'body');
}

/** Entries a zip tool adds that are not part of the model. */
const IGNORED = (name: string) => name.startsWith('__MACOSX/') || /(^|\/)\.DS_Store$/.test(name);

/**
 * application/zip: model.json and its shards at the top level or inside one folder. Names, count and declared
 * sizes are checked from the central directory before anything is inflated; model.json is inflated first and every
 * other entry must be a file its manifest names; the total inflates to at most `maxBytes` and each entry stops at
 * its declared size.
 */
export function modelFromZip(bytes: Uint8Array, maxFiles: number, maxBytes: number): ModelFiles {
  const entries = zipDirectory(bytes, maxFiles);
  const kept: ZipEntry[] = [];
  let total = 0;
  let folder: string | undefined;
  for (const e of entries) {
    if (e.name.endsWith('/') || IGNORED(e.name)) continue;
    const parts = e.name.split('/');
    if (e.name.startsWith('/') || e.name.includes('\\') || parts.some((p) => p === '..' || p === '.' || p === '') || parts.length > 2) {
      throw new ProblemError(422, 'invalid_upload', `expected zip entries as name or folder/name, got ${JSON.stringify(e.name.slice(0, 80))}`, 'body');
    }
    const dir = parts.length === 2 ? parts[0] : '';
    if (folder !== undefined && dir !== folder) throw new ProblemError(422, 'invalid_upload', `expected every file in one folder, got '${folder}' and '${dir}'`, 'body');
    folder = dir;
    total += e.size;
    if (total > maxBytes) throw new ProblemError(413, 'too_large', `expected at most ${maxBytes} bytes uncompressed, got more declared by the zip directory`, 'body');
    kept.push(e);
  }
  const base = (e: ZipEntry) => e.name.slice(e.name.lastIndexOf('/') + 1);
  const jsonEntry = kept.find((e) => base(e) === 'model.json');
  const onnxEntries = kept.filter((e) => isOnnxName(base(e)));
  if (!jsonEntry && onnxEntries.length === 1) {
    // The total inflation was bounded above by the directory's sizes.
    const others = new Map<string, Uint8Array>();
    for (const e of kept) if (e !== onnxEntries[0]) addFile(others, base(e), zipRead(bytes, e), 'body');
    return onnxUpload(zipRead(bytes, onnxEntries[0]!), others, 'body');
  }
  if (!jsonEntry) throw new ProblemError(422, 'invalid_upload', `expected a file named model.json, or one .onnx file, got ${kept.map((e) => `'${base(e).slice(0, 40)}'`).slice(0, 8).join(', ') || 'none'}`, 'body');
  if (jsonEntry.size > MAX_MODEL_JSON_BYTES) throw new ProblemError(422, 'limit_exceeded', `expected model.json of at most ${MAX_MODEL_JSON_BYTES} bytes, got ${jsonEntry.size}`, 'body');
  const json = zipRead(bytes, jsonEntry);
  const named = new Set(preflightModel(json).order);
  const stray = kept.find((e) => e !== jsonEntry && !named.has(base(e)));
  if (stray) throw new ProblemError(422, 'invalid_upload', `expected only model.json and the weight files its manifest names, got also ${JSON.stringify(base(stray).slice(0, 80))}`, 'body');
  const files = new Map<string, Uint8Array>([['model.json', json]]);
  for (const e of kept) if (e !== jsonEntry) addFile(files, base(e), zipRead(bytes, e), 'body');
  return split(files, 'body');
}

function zipDirectory(bytes: Uint8Array, maxFiles: number): ZipEntry[] {
  try {
    return readZipDirectory(bytes, maxFiles);
  } catch (e) {
    throw zipProblem(e);
  }
}

function zipRead(bytes: Uint8Array, e: ZipEntry): Uint8Array {
  try {
    return readEntry(bytes, e);
  } catch (err) {
    throw zipProblem(err);
  }
}

/** The zip reader was written for .npz; its messages are reworded for a model zip. */
function zipProblem(e: unknown): unknown {
  if (!(e instanceof EngineError)) return e;
  const detail = e.message.replace(/ \(\.npz[^)]*\)/g, '').replace(/arrays in the \.npz/g, 'files in the zip');
  return new ProblemError(422, e.code === 'limit_exceeded' ? 'limit_exceeded' : 'invalid_upload', detail, 'body');
}
