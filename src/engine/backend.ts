// Starts tfjs-core on the WebAssembly-SIMD backend from a compiled module handed in by the entry point.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
// The emscripten loader of the package (works for the plain and the SIMD binary alike).
// Package internals: tfjs is pinned exactly in package.json for this reason.
import wasmFactory from '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.js';
import { provideKernels, startKernels } from './kernels';
import { selfTest } from './selftest';

type EmscriptenModule = {
  cwrap: (name: string, ret: string | null, args: string[]) => (...a: unknown[]) => unknown;
  tfjs?: Record<string, unknown>;
};

let ready: Promise<void> | undefined;

/**
 * Registers and selects the `wasm` backend. `module` must be the compiled
 * `tfjs-backend-wasm-simd.wasm`; workerd forbids compiling wasm from bytes at run
 * time, so the entry point compiles (Node) or imports (Workers) it and hands it in. `kernels` is our
 * src/engine/kernels/kernels.wasm, imported likewise on Workers; Node may omit it (compiled from its bytes).
 */
export function initEngine(module: WebAssembly.Module, kernels?: WebAssembly.Module): Promise<void> {
  if (kernels) provideKernels(kernels);
  ready ??= start(module);
  return ready;
}

async function start(module: WebAssembly.Module): Promise<void> {
  const factory = wasmFactory as unknown as (cfg: object) => Promise<EmscriptenModule>;
  const wasm = await factory({
    instantiateWasm(imports: WebAssembly.Imports, done: (i: WebAssembly.Instance, m: WebAssembly.Module) => void) {
      void WebAssembly.instantiate(module, imports).then((instance) => done(instance, module));
      return {};
    },
  });
  wasm.tfjs = {
    init: wasm.cwrap('init', null, []),
    initWithThreadsCount: wasm.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: wasm.cwrap('get_threads_count', 'number', []),
    registerTensor: wasm.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: wasm.cwrap('dispose_data', null, ['number']),
    dispose: wasm.cwrap('dispose', null, []),
  };
  // The package registered a `wasm` factory that fetches the binary; replace it.
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', () => new BackendWasm(wasm as never), 10);
  const ok = await tf.setBackend('wasm');
  if (!ok) throw new Error('expected the wasm backend to start, got a failure from tf.setBackend');
  // Our SIMD kernels on the backend's memory (or the tfjs path without them); the self-test then covers either.
  startKernels();
  selfTest();
}

/**
 * Bytes of this engine's WebAssembly memory. It grows and never shrinks, so read after a piece of work it is the
 * high-water mark of the engine's tensors so far: what an isolate's memory limit is measured against.
 */
export function heapBytes(): number {
  return (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer.byteLength;
}
