// Workers test helper: the SIMD binary imported as a compiled module (wrangler's CompiledWasm rule); our SIMD
// kernels likewise, handed to the engine here because workerd cannot compile them from bytes (src/engine/kernels).
import wasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm';
import kernels from '../src/engine/kernels/kernels.wasm';
import { provideKernels } from '../src/engine/kernels';
export async function loadWasm(): Promise<WebAssembly.Module> {
  provideKernels(kernels);
  return wasm;
}
