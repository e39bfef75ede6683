// Workers test helper: the SIMD binary imported as a compiled module (wrangler's CompiledWasm rule).
import wasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm';
export async function loadWasm(): Promise<WebAssembly.Module> {
  return wasm;
}
