"""tfjs Layers model files: weights manifests (float32 and uint8 as `tensorflowjs_converter --quantize_uint8` writes
them) and reading them back as tfjs-core's io does.

The uint8 affine quantization follows tfjs-converter/python/tensorflowjs/quantization.py (quantize_weights and
_get_affine_quantization_range): per tensor, min and max in float64; if they are equal every value is stored as 0
with scale 1; otherwise scale = (max - min) / 255 and, when 0 lies in [min, max], min is nudged so that 0 is exactly
representable: min = -round(-min / scale) * scale; then q = round((clip(w, min, max) - min) / scale). As there, w is
float32 and min a numpy float64 scalar, so with numpy 1.x the arithmetic is float32. tfjs-core dequantizes with
`q * scale + min` in double precision, stored as float32 (io_utils.ts); dequantize() does the same.
"""
import json
import os

import numpy as np

QUANT_MAX = 255


def quantize_uint8(w):
    w = np.asarray(w, dtype=np.float32)
    lo, hi = w.min().astype(np.float64), w.max().astype(np.float64)
    if lo == hi:
        return np.zeros_like(w, dtype=np.uint8), float(lo), 1.0
    scale = (hi - lo) / QUANT_MAX
    if lo <= 0 <= hi:
        lo = -np.round((0 - lo) / scale) * scale
        hi = QUANT_MAX * scale + lo
    q = np.round((w.clip(lo, hi) - lo) / scale).astype(np.uint8)
    return q, float(lo), float(scale)


def check_quantizer():
    """The worked example of tfjs-converter's write_weights.py (_quantize_entry's docstring)."""
    q, lo, scale = quantize_uint8(np.array([0, -0.1, 1.2], np.float32))
    assert q.tolist() == [20, 0, 255] and abs(lo + 0.10196078817) < 1e-10 and abs(scale - 0.00509803940852) < 1e-12, (q, lo, scale)


def dequantize(q, lo, scale):
    return (q.astype(np.float64) * scale + lo).astype(np.float32)


def write_model(out_dir, topology, weights, uint8, generated_by, converted_by, bin_name='weights.bin'):
    """Writes model.json and one weights file; `weights` is [(name, float32 array in Keras layout)]."""
    os.makedirs(out_dir, exist_ok=True)
    entries, chunks = [], []
    for name, w in weights:
        entry = {'name': name, 'shape': list(w.shape), 'dtype': 'float32'}
        if uint8:
            q, lo, scale = quantize_uint8(w)
            entry['quantization'] = {'dtype': 'uint8', 'min': lo, 'scale': scale, 'original_dtype': 'float32'}
            chunks.append(q.tobytes())
        else:
            chunks.append(np.ascontiguousarray(w, dtype='<f4').tobytes())
        entries.append(entry)
    with open(os.path.join(out_dir, bin_name), 'wb') as f:
        f.write(b''.join(chunks))
    model = {'format': 'layers-model', 'generatedBy': generated_by, 'convertedBy': converted_by,
             'modelTopology': topology, 'weightsManifest': [{'paths': [bin_name], 'weights': entries}]}
    with open(os.path.join(out_dir, 'model.json'), 'w') as f:
        json.dump(model, f)
    return model


def read_weights(model_dir):
    """{name: float32 array} from model.json + its weight files, dequantized as tfjs-core does."""
    with open(os.path.join(model_dir, 'model.json')) as f:
        model = json.load(f)
    out = {}
    for group in model['weightsManifest']:
        buf = b''.join(open(os.path.join(model_dir, p), 'rb').read() for p in group['paths'])
        offset = 0
        for e in group['weights']:
            n = int(np.prod(e['shape'], dtype=np.int64))
            q = e.get('quantization')
            if q is None:
                assert e['dtype'] == 'float32', e
                w = np.frombuffer(buf, '<f4', n, offset)
                offset += 4 * n
            else:
                assert q['dtype'] == 'uint8', q
                w = dequantize(np.frombuffer(buf, np.uint8, n, offset), q['min'], q['scale'])
                offset += n
            out[e['name']] = w.reshape(e['shape']).copy()
        assert offset == len(buf), f'{model_dir}: {len(buf) - offset} bytes left over'
    return out
