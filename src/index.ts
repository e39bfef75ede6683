import wasm from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm';
import { initEngine } from './engine/backend';
export default {
  async fetch(): Promise<Response> {
    await initEngine(wasm);
    return new Response('ok');
  },
};
