// Node runtime glue: compiles the wasm SIMD binary shipped in node_modules and starts the engine with it.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { initEngine } from '../engine/backend';

export async function startNodeEngine(): Promise<void> {
  const require = createRequire(import.meta.url);
  const path = require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm');
  await initEngine(await WebAssembly.compile(await readFile(path)));
}
