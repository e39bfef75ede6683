// Pooling gradients straight on the wasm heap: the max-pool one in SIMD C (kernels/kernels.c) when our kernels run, as
// one JS loop otherwise (the same bits). The tensor-op forms in pool-grad.ts take ~12 tfjs kernels per gradient (each a
// heap allocation plus a call, ~50-500 us at the audit's micro-batch of 16); one pass costs a few tens of us.
import * as tf from '@tensorflow/tfjs-core';
import type { KernelFunc, NamedAttrMap, NamedTensorMap, Tensor4D, TensorInfo } from '@tensorflow/tfjs-core';
import { simdKernels } from '../kernels';
import { geometry } from './pool-info';

/** The parts of tfjs-backend-wasm's BackendWasm that these kernels use (package internals; tfjs is pinned). */
export interface HeapBackend {
  wasm: { HEAPF32: Float32Array };
  dataIdMap: { get(id: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
}

const isHeapBackend = (b: unknown): b is HeapBackend => {
  const o = b as Partial<HeapBackend> | null;
  return !!o && typeof o.makeOutput === 'function' && !!o.dataIdMap && o.wasm?.HEAPF32 instanceof Float32Array;
};

/** Whether the current backend keeps float tensors on a wasm heap these kernels can read and write. */
export function onWasmHeap(): boolean {
  return tf.getBackend() === 'wasm' && isHeapBackend(tf.backend());
}

/** Byte offset of a tensor on the heap. */
export const heapOffset = (b: HeapBackend, t: TensorInfo): number => b.dataIdMap.get(t.dataId)!.memoryOffset;

/** A zeroed x-shaped output and the heap with float indices of `inputs` and the output (after the allocation, which may grow the heap). */
function prepare(b: HeapBackend, xShape: number[], inputs: TensorInfo[]) {
  const out = b.makeOutput(xShape, 'float32');
  const at = (t: TensorInfo) => heapOffset(b, t) >>> 2;
  const heap = b.wasm.HEAPF32;
  const o = at(out);
  heap.fill(0, o, o + tf.util.sizeFromShape(xShape));
  return { out, heap, o, offs: inputs.map(at) };
}

/**
 * dL/dx of max pooling: each window's dy goes to its FIRST maximum in row-major order (TensorFlow's and
 * tfjs-cpu's rule), summed where windows overlap; padding never wins. y is the stock MaxPool's output.
 */
const maxPoolGradKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as HeapBackend;
  const { dy, x, y } = inputs as { dy: TensorInfo; x: TensorInfo; y: TensorInfo };
  const g = geometry(x.shape, attrs!);
  const { batchSize: n, inHeight: H, inWidth: W, inChannels: C, outHeight: Ho, outWidth: Wo } = g;
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = g;
  const { top, left } = g.padInfo;
  const simd = simdKernels();
  if (simd) {
    // The C loop zeroes the output itself and visits windows in the order below.
    const out = b.makeOutput(x.shape, 'float32');
    const [o, pdy, px, py] = [out, dy, x, y].map((t) => heapOffset(b, t));
    simd.max_pool_grad(o!, pdy!, px!, py!, n, H, W, C, Ho, Wo, kh, kw, sh, sw, top, left);
    return out;
  }
  const { out, heap, o, offs: [pdy, px, py] } = prepare(b, x.shape, [dy, x, y]);
  // Channels innermost, as they lie in memory; hit[c] is the first maximum's index found so far in the window.
  const hit = new Int32Array(C);
  for (let bi = 0; bi < n; bi++) {
    for (let i = 0; i < Ho; i++) {
      const r0 = Math.max(0, i * sh - top);
      const r1 = Math.min(H, i * sh - top + kh);
      for (let j = 0; j < Wo; j++) {
        const c0 = Math.max(0, j * sw - left);
        const c1 = Math.min(W, j * sw - left + kw);
        const yo = ((bi * Ho + i) * Wo + j) * C;
        hit.fill(-1);
        for (let r = r0; r < r1; r++) {
          for (let col = c0; col < c1; col++) {
            const k = ((bi * H + r) * W + col) * C;
            for (let c = 0; c < C; c++) if (hit[c]! < 0 && heap[px + k + c] === heap[py + yo + c]) hit[c] = k + c;
          }
        }
        for (let c = 0; c < C; c++) if (hit[c]! >= 0) heap[o + hit[c]!] += heap[pdy + yo + c]!;
      }
    }
  }
  return out;
};

/** dL/dx of average pooling: dy / (window elements inside x, as tfjs's forward counts them) to each of them. */
const avgPoolGradKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const b = backend as unknown as HeapBackend;
  const { dy } = inputs as { dy: TensorInfo };
  const xShape = attrs!.xShape as number[];
  const g = geometry(xShape, attrs!);
  const { out, heap, o, offs: [pdy] } = prepare(b, xShape, [dy]);
  const { batchSize: n, inHeight: H, inWidth: W, inChannels: C, outHeight: Ho, outWidth: Wo } = g;
  const { top, left } = g.padInfo;
  for (let bi = 0; bi < n; bi++) {
    for (let i = 0; i < Ho; i++) {
      const r0 = Math.max(0, i * g.strideHeight - top);
      const r1 = Math.min(H, i * g.strideHeight - top + g.filterHeight);
      for (let j = 0; j < Wo; j++) {
        const c0 = Math.max(0, j * g.strideWidth - left);
        const c1 = Math.min(W, j * g.strideWidth - left + g.filterWidth);
        const inv = 1 / ((r1 - r0) * (c1 - c0));
        const yo = ((bi * Ho + i) * Wo + j) * C;
        for (let r = r0; r < r1; r++) {
          for (let col = c0; col < c1; col++) {
            const k = o + ((bi * H + r) * W + col) * C;
            for (let c = 0; c < C; c++) heap[k + c] += heap[pdy + yo + c] * inv;
          }
        }
      }
    }
  }
  return out;
};

const registered = new Set<string>();

/** Runs `kernelFunc` as the wasm kernel `name` (registered on first use): tfjs allocates and tracks its output. */
export function runHeapKernel(name: string, kernelFunc: KernelFunc, inputs: NamedTensorMap, attrs: NamedAttrMap): Tensor4D {
  if (!registered.has(name)) {
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc });
    registered.add(name);
  }
  return tf.engine().runKernel(name, inputs, attrs) as Tensor4D;
}

/** maxPoolGrad on the wasm heap; call only when onWasmHeap(). */
export function maxPoolGradHeap(dy: Tensor4D, x: Tensor4D, y: Tensor4D, attrs: NamedAttrMap): Tensor4D {
  return runHeapKernel('QauditMaxPoolGradHeap', maxPoolGradKernel, { dy, x, y }, attrs);
}

/** avgPoolGrad on the wasm heap; call only when onWasmHeap(). */
export function avgPoolGradHeap(dy: Tensor4D, xShape: number[], attrs: NamedAttrMap): Tensor4D {
  return runHeapKernel('QauditAvgPoolGradHeap', avgPoolGradKernel, { dy }, { ...attrs, xShape });
}
