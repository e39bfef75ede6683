// Our WebAssembly SIMD128 kernels (kernels.c, built by scripts/build-kernels.mjs) instantiated on tfjs-backend-wasm's
// own memory, so they read and write tensors where they lie (zero copy). Absent or refused, the ops keep the tfjs path.
import * as tf from '@tensorflow/tfjs-core';
import { KERNELS_WASM_BASE64 } from './kernels-wasm';

/** The exports of kernels.c; pointers are byte offsets into tfjs-backend-wasm's memory. */
export interface SimdKernels {
  conv_input_grad(dx: number, dy: number, w: number, n: number, h: number, wd: number, ci: number, ho: number, wo: number,
    co: number, kh: number, kw: number, sh: number, sw: number, pt: number, pl: number): void;
  max_pool_grad(dx: number, dy: number, x: number, y: number, n: number, h: number, wd: number, c: number, ho: number,
    wo: number, kh: number, kw: number, sh: number, sw: number, pt: number, pl: number): void;
  activation_grad(out: number, dy: number, y: number, n: number, six: number): void;
  depthwise_input_grad(dx: number, dy: number, w: number, n: number, h: number, wd: number, c: number, ho: number,
    wo: number, kh: number, kw: number, sh: number, sw: number, pt: number, pl: number): void;
}

let provided: WebAssembly.Module | undefined;
let kernels: SimdKernels | null = null;
/** The memory they were instantiated on: another backend instance (another memory) must not reach them. */
let boundTo: WebAssembly.Memory | undefined;
let enabled = true;

/**
 * Hands in kernels.wasm compiled by the runtime (workerd forbids compiling wasm from bytes at run time: its entry
 * points import the file as a module). Without it, Node compiles the bytes of kernels-wasm.ts.
 */
export function provideKernels(module: WebAssembly.Module): void {
  provided = module;
}

/** The Memory object of the running wasm backend (emscripten keeps the instance's exports as `Module.asm`). */
function backendMemory(): WebAssembly.Memory | undefined {
  if (tf.getBackend() !== 'wasm') return undefined;
  const mem = (tf.backend() as unknown as { wasm?: { asm?: { memory?: unknown } } }).wasm?.asm?.memory;
  return mem instanceof WebAssembly.Memory ? mem : undefined;
}

function bytes(): Uint8Array<ArrayBuffer> {
  const s = atob(KERNELS_WASM_BASE64);
  return Uint8Array.from(s, (ch) => ch.charCodeAt(0));
}

/**
 * Instantiates the kernels on the wasm backend's memory; called once by initEngine after the backend runs. Returns
 * whether they are in use: false where the module is missing, cannot be compiled here, or the backend is not wasm.
 */
export function startKernels(): boolean {
  const memory = backendMemory();
  kernels = null;
  if (!memory) return false;
  try {
    const module = provided ?? new WebAssembly.Module(bytes());
    kernels = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as SimdKernels;
    boundTo = memory;
  } catch {
    kernels = null;
  }
  return kernels !== null;
}

/** The kernels when started, enabled and their wasm backend is current; otherwise null (the tfjs path). */
export function simdKernels(): SimdKernels | null {
  return enabled && kernels && backendMemory() === boundTo ? kernels : null;
}

/** Switches the kernels off or on again (benches and tests compare both paths; the default is on). */
export function setSimdKernels(on: boolean): void {
  enabled = on;
}
