// The resumable state of a retraining job and its deterministic byte encoding (JSON header + float32 blocks).
import { EngineError, expect } from '../errors';
import type { OptimizerState } from './optim';

export interface StepMetrics {
  step: number;
  /** Mini-batches and samples of this step. */
  batches: number;
  samples: number;
  /** Means over the step's batches of the total loss and its parts (parts absent when the method has none). */
  loss: number;
  ce: number;
  boundary?: number;
  distill?: number;
  /** Boundary samples bracketed by PGD (boundary method), out of `samples`. */
  bracketed?: number;
}

export interface RetrainState {
  /** configFingerprint of the settings: resuming with other settings is refused. */
  config: string;
  /** Size of the training set the cursor indexes. */
  dataSize: number;
  /** Mini-batches the whole job runs (0 for `none`). */
  plannedBatches: number;
  steps: number;
  batches: number;
  /** Next batch: position `offset` of epoch `epoch`'s order, a permutation drawn from (orderSeed, epoch). */
  cursor: { epoch: number; offset: number; orderSeed: number };
  /** sfc32 state; one draw per batch seeds that batch's attack randomness. */
  rng: [number, number, number, number];
  /** The float shadow weights (every weight of the model, keyed `${layer}/${kind}`). */
  weights: Record<string, { shape: number[]; values: Float32Array }>;
  optimizer: OptimizerState;
  metrics: StepMetrics[];
}

const MAGIC = 'QRS1';

interface Block { key: string; length: number }

/** Bytes: MAGIC, u32 LE header length, header JSON (space-padded to 4 bytes), then the float32 blocks in header order. */
export function serializeState(s: RetrainState): Uint8Array {
  const blocks: Block[] = [];
  const arrays: Float32Array[] = [];
  const add = (key: string, a: Float32Array) => (blocks.push({ key, length: a.length }), arrays.push(a));
  const weights = Object.keys(s.weights).sort().map((k) => (add(`w:${k}`, s.weights[k]!.values), [k, s.weights[k]!.shape] as const));
  for (const k of Object.keys(s.optimizer.slots).sort()) add(`o:${k}`, s.optimizer.slots[k]!);
  // Explicit key order, so that equal states give equal bytes however they were built.
  const header = {
    config: s.config,
    dataSize: s.dataSize,
    plannedBatches: s.plannedBatches,
    steps: s.steps,
    batches: s.batches,
    cursor: { epoch: s.cursor.epoch, offset: s.cursor.offset, orderSeed: s.cursor.orderSeed },
    rng: s.rng,
    metrics: s.metrics,
    weights: Object.fromEntries(weights),
    optimizer: { name: s.optimizer.name, step: s.optimizer.step },
    blocks,
  };
  let json = JSON.stringify(header);
  json += ' '.repeat((4 - ((8 + new TextEncoder().encode(json).length) % 4)) % 4);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + arrays.reduce((a, b) => a + b.byteLength, 0));
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(4, head.length, true);
  out.set(head, 8);
  let off = 8 + head.length;
  const view = new DataView(out.buffer);
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++, off += 4) view.setFloat32(off, a[i]!, true);
  }
  return out;
}

export function deserializeState(bytes: Uint8Array): RetrainState {
  const fail = (why: string): never => {
    throw new EngineError('invalid_data', `expected a retraining checkpoint (${MAGIC}), got ${why}`);
  };
  if (bytes.length < 8 || new TextDecoder().decode(bytes.subarray(0, 4)) !== MAGIC) fail('other bytes');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headLen = view.getUint32(4, true);
  if (8 + headLen > bytes.length) fail('a truncated header');
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headLen))) as Omit<RetrainState, 'weights' | 'optimizer'> & {
    weights: Record<string, number[]>;
    optimizer: { name: OptimizerState['name']; step: number };
    blocks: Block[];
  };
  let off = 8 + headLen;
  const read = (length: number) => {
    if (off + 4 * length > bytes.length) fail('truncated weights');
    const a = new Float32Array(length);
    for (let i = 0; i < length; i++, off += 4) a[i] = view.getFloat32(off, true);
    return a;
  };
  const weights: RetrainState['weights'] = {};
  const slots: Record<string, Float32Array> = {};
  for (const b of header.blocks) {
    const values = read(b.length);
    if (b.key.startsWith('w:')) weights[b.key.slice(2)] = { shape: header.weights[b.key.slice(2)]!, values };
    else slots[b.key.slice(2)] = values;
  }
  expect(off === bytes.length, 'invalid_data', `expected ${off} checkpoint bytes, got ${bytes.length}`);
  const { blocks: _, ...rest } = header;
  return { ...rest, weights, optimizer: { ...header.optimizer, slots } };
}
