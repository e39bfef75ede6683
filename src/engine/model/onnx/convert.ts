// onnxToLayers: an .onnx file as the tfjs Layers model.json + weights.bin qaudit stores and audits, without tensors
// (so a CLI or an upload can convert before the engine starts). Activation QDQ (fakeQuant) has no Keras layer.
import { analyze } from '../graph';
import { kerasTopology } from '../keras/export';
import { SHARD_NAME } from '../save';
import { decodeModel } from './decode';
import { importOnnx } from './import';

export function onnxToLayers(bytes: Uint8Array, files: ReadonlyMap<string, Uint8Array> = new Map()): { json: object; weights: Uint8Array } {
  const { graph, weights } = importOnnx(decodeModel(bytes), files);
  const shapes = analyze(graph);
  const topology = kerasTopology(graph);
  const entries = shapes.slots.map((s) => ({ name: s.key, shape: s.shape, dtype: 'float32' }));
  const out = new Uint8Array(shapes.slots.reduce((a, s) => a + 4 * weights.get(s.key)!.data.length, 0));
  const view = new DataView(out.buffer);
  let o = 0;
  for (const s of shapes.slots) for (const v of weights.get(s.key)!.data) view.setFloat32((o += 4) - 4, v, true);
  const json = {
    format: 'layers-model', generatedBy: 'qaudit (from ONNX)', convertedBy: null,
    modelTopology: { ...topology, keras_version: 'tfjs-layers 4.22.0', backend: 'tensor_flow.js' },
    weightsManifest: [{ paths: [SHARD_NAME], weights: entries }],
  };
  return { json, weights: out };
}
