// model.json before the engine sees it: size and nesting checked before JSON.parse, then the manifest's file list
// (each file named once) and the layer count capped, so that no later walk can be made to do unbounded work.
import { ProblemError } from './problem';

/** model.json bytes (the engine's MAX_MODEL_JSON_BYTES, checked here before decoding or parsing). */
export const MAX_MODEL_JSON_BYTES = 1 << 20;
/** Nesting of arrays and objects; Keras configs with inbound_nodes reach about 10. */
export const MAX_JSON_DEPTH = 64;
/** Weight files one manifest may name. */
export const MAX_MODEL_FILES = 256;
/** Layers in the topology, counted before the engine parses any (the engine applies its own, lower, limit). */
export const MAX_TOPOLOGY_LAYERS = 1024;

const invalid = (detail: string, field = 'model.json') => new ProblemError(422, 'invalid_model', detail, field);
const limit = (detail: string, field = 'model.json') => new ProblemError(422, 'limit_exceeded', detail, field);

/** Deepest nesting of [ and { outside strings: one linear pass, no recursion. */
export function jsonDepth(text: string): number {
  let depth = 0, max = 0, inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 92) i++; // backslash: skip the escaped character
      else if (ch === 34) inString = false;
    } else if (ch === 34) inString = true;
    else if (ch === 91 || ch === 123) max = Math.max(max, ++depth);
    else if (ch === 93 || ch === 125) depth--;
  }
  return max;
}

/** Parses model.json after checking its length and nesting (a 422, never a stack overflow or a long parse). */
export function parseModelJson(bytes: Uint8Array, field = 'model.json'): { text: string; value: unknown } {
  if (bytes.byteLength > MAX_MODEL_JSON_BYTES) throw limit(`expected model.json of at most ${MAX_MODEL_JSON_BYTES} bytes, got ${bytes.byteLength}`, field);
  const text = new TextDecoder().decode(bytes);
  const depth = jsonDepth(text);
  if (depth > MAX_JSON_DEPTH) throw limit(`expected model.json nested at most ${MAX_JSON_DEPTH} levels deep, got ${depth}`, field);
  try {
    return { text, value: JSON.parse(text) };
  } catch (e) {
    throw invalid(`expected model.json to be JSON, got a parse error: ${(e as Error).message}`, field);
  }
}

/**
 * Weight file names in manifest order (groups, then paths): shard i is stored at keys.modelShard(id, i), as
 * src/jobs/inputs.ts reads it. A name given twice is refused (it would be read, fetched and stored twice).
 */
export function shardOrder(json: unknown, field = 'model.json'): string[] {
  const groups = (json as { weightsManifest?: { paths?: unknown }[] } | null)?.weightsManifest;
  const out: string[] = [];
  const seen = new Set<string>();
  for (const g of Array.isArray(groups) ? groups : []) {
    for (const p of Array.isArray(g?.paths) ? g.paths : []) {
      const name = typeof p === 'string' ? p.slice(p.lastIndexOf('/') + 1) : '';
      if (!name) continue;
      if (seen.has(name)) throw invalid(`expected each weight file once in weightsManifest, got '${name.slice(0, 80)}' twice`, field);
      if (out.length >= MAX_MODEL_FILES) throw limit(`expected at most ${MAX_MODEL_FILES} weight files in weightsManifest, got more`, field);
      seen.add(name);
      out.push(name);
    }
  }
  return out;
}

/** Layers listed by the topology (Sequential or Functional, tfjs or Keras 3 spelling). */
export function topologyLayers(json: unknown): number {
  const topo = (json as { modelTopology?: Record<string, unknown> } | null)?.modelTopology;
  const cfg = (topo?.model_config as Record<string, unknown> | undefined)?.config ?? topo?.config;
  const layers = Array.isArray(cfg) ? cfg : (cfg as { layers?: unknown } | undefined)?.layers;
  return Array.isArray(layers) ? layers.length : 0;
}

/** model.json checked before any engine work: parse limits, unique files, a capped layer count. */
export function preflightModel(bytes: Uint8Array, field = 'model.json'): { text: string; value: unknown; order: string[] } {
  const { text, value } = parseModelJson(bytes, field);
  const layers = topologyLayers(value);
  if (layers > MAX_TOPOLOGY_LAYERS) throw limit(`expected at most ${MAX_TOPOLOGY_LAYERS} layers, got ${layers}`, field);
  return { text, value, order: shardOrder(value, field) };
}
