// Module shapes the bundlers provide: wasm imported as a compiled module, the emscripten loader of tfjs-backend-wasm.
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
declare module '@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.js' {
  const factory: (config: object) => Promise<unknown>;
  export default factory;
}
declare module '@tensorflow/tfjs-core/dist/register_all_gradients';
