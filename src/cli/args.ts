// Turns `qaudit audit` flags into audit settings; every refusal names the flag.
import { EngineError } from '../engine/errors';
import { parseSettings } from '../engine/audit/settings';
import type { AuditSettings } from '../engine/audit/settings';
import type { DefenseSetting } from '../engine/defense/settings';
import { OUTPUT_OPTIONS } from './outputs';
import { parseFlags } from './suggest';

export const AUDIT_OPTIONS = {
  model: { type: 'string' },
  data: { type: 'string', default: 'mnist' },
  surrogate: { type: 'string' },
  limit: { type: 'string' },
  attacks: { type: 'string' },
  eps: { type: 'string' },
  norm: { type: 'string' },
  bits: { type: 'string' },
  steps: { type: 'string' },
  'step-size': { type: 'string' },
  restarts: { type: 'string' },
  queries: { type: 'string' },
  temperature: { type: 'string' },
  defense: { type: 'string' },
  seed: { type: 'string' },
  'chunk-size': { type: 'string' },
  preprocess: { type: 'string' },
  labels: { type: 'string' },
  'micro-batch': { type: 'string' },
  threads: { type: 'string' },
  ...OUTPUT_OPTIONS,
  quiet: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export type AuditFlags = ReturnType<typeof parseAuditFlags>;

export function parseAuditFlags(argv: string[]) {
  return parseFlags(argv, AUDIT_OPTIONS).values;
}

/** Settings field -> the flag a user typed, for error messages. */
const FLAG_OF: Record<string, string> = {
  attacks: '--attacks', epsilons: '--eps', norm: '--norm', bits: '--bits', steps: '--steps', stepSize: '--step-size',
  restarts: '--restarts', queries: '--queries', temperature: '--temperature', defense: '--defense', limit: '--limit', seed: '--seed', chunkSize: '--chunk-size',
  preprocess: '--preprocess', labels: '--labels', microBatch: '--micro-batch',
};

/** Named preprocessings (pixels in [0, 1] -> model input); anything else is read as the JSON of the API's setting. */
export const PREPROCESS_PRESETS: Record<string, unknown> = {
  none: null,
  model: 'model',
  /** Keras MobileNet / tf.keras.applications 'tf' mode: [-1, 1]. */
  'keras-mobilenet': { scale: 2, offset: -1 },
  /** torchvision: ImageNet mean and std per channel. */
  imagenet: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
};

export function parsePreprocess(v: string | undefined): unknown {
  if (v === undefined) return undefined;
  if (Object.hasOwn(PREPROCESS_PRESETS, v)) return PREPROCESS_PRESETS[v];
  try {
    return JSON.parse(v);
  } catch {
    throw new EngineError('invalid_argument', `--preprocess: expected ${Object.keys(PREPROCESS_PRESETS).join(', ')} or a JSON object such as '{"scale": 2, "offset": -1}', got '${v}'`);
  }
}

/** A numeric flag's value, or undefined when it was not given. */
export function num(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new EngineError('invalid_argument', `${flag}: expected a number, got '${v}'`);
  return n;
}

function list(flag: string, v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const xs = v.split(',').map((s) => s.trim()).filter(Boolean);
  if (xs.length === 0) throw new EngineError('invalid_argument', `${flag}: expected a comma-separated list, got '${v}'`);
  return xs;
}

/**
 * `--defense nonlinear` is the default mapping (staircase); `--defense sine:freq=8,amp=0.05` names a mapping
 * and overrides its parameters.
 */
export function parseDefense(v: string | undefined): unknown {
  if (v === undefined || v === 'none') return undefined;
  const [name, params = ''] = v.split(':', 2) as [string, string?];
  const mapping = name === 'nonlinear' ? 'staircase' : name;
  const out: Record<string, unknown> = { mapping };
  for (const kv of params.split(',').filter(Boolean)) {
    const [k, val] = kv.split('=');
    out[k!.trim()] = num(`--defense ${k}`, val);
  }
  return out;
}

/** The --defense value that names a resolved mapping with all its parameters (parseDefense's inverse). */
export function formatDefense(d: DefenseSetting): string {
  if (d === 'none') return 'none';
  const { mapping, ...params } = d;
  return `${mapping}:${Object.entries(params).map(([k, v]) => `${k}=${v}`).join(',')}`;
}

export function settingsFromFlags(f: AuditFlags): AuditSettings {
  const input: Record<string, unknown> = {
    attacks: list('--attacks', f.attacks),
    epsilons: list('--eps', f.eps)?.map((e) => num('--eps', e)),
    norm: f.norm,
    // `none`: the upload alone, no quantized twins.
    bits: f.bits?.trim() === 'none' ? [] : list('--bits', f.bits)?.map((b) => num('--bits', b)),
    steps: num('--steps', f.steps),
    stepSize: num('--step-size', f['step-size']),
    restarts: num('--restarts', f.restarts),
    queries: num('--queries', f.queries),
    temperature: num('--temperature', f.temperature),
    defense: parseDefense(f.defense),
    limit: num('--limit', f.limit),
    seed: num('--seed', f.seed),
    chunkSize: num('--chunk-size', f['chunk-size']),
    preprocess: parsePreprocess(f.preprocess),
    labels: f.labels,
    microBatch: num('--micro-batch', f['micro-batch']),
  };
  return parseFlagged(input, parseSettings, FLAG_OF);
}

/**
 * Parses flag values with an engine schema (`parse` throws EngineErrors whose pointer is `<root>.<field>`), leaving
 * unset flags to the schema's defaults, and names the flag (`flagOf[field]`) of a refused value.
 */
export function parseFlagged<T>(input: Record<string, unknown>, parse: (input: unknown) => T, flagOf: Record<string, string>): T {
  for (const k of Object.keys(input)) if (input[k] === undefined) delete input[k];
  try {
    return parse(input);
  } catch (e) {
    if (!(e instanceof EngineError) || !e.pointer) throw e;
    const field = e.pointer.split('.')[1] ?? '';
    const message = e.message.replace(/^[\w.]+: /, '');
    throw new EngineError('invalid_argument', `${flagOf[field] ?? field}: ${message}`, e.pointer);
  }
}
