// Node test helper: the compiled SIMD binary of tfjs-backend-wasm.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

export async function loadWasm(): Promise<WebAssembly.Module> {
  const require = createRequire(import.meta.url);
  const path = require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm');
  return WebAssembly.compile(await readFile(path));
}
