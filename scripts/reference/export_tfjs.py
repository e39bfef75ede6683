"""Exports each trained reference model as tfjs Layers model files and writes its PyTorch reference logits.

For each model: test/fixtures/models/<name>/float/{model.json,weights.bin} (float32 weights),
.../uint8/{model.json,weights.bin} (as `tensorflowjs_converter --quantize_uint8`), and .../reference.npz with
x (the first 64 test images, NHWC float32 in [0, 1]), y (int32), logits_float and logits_uint8: the PyTorch model's
logits (before the final softmax) with the weights read back from float/ and from uint8/ (dequantized as tfjs does).

Usage: python3 scripts/reference/export_tfjs.py [names...]   (after models.py)
"""
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keras_json import CONVERTED_BY, GENERATED_BY, model_topology  # noqa: E402
from models import DATA_DIR, MODELS, accuracy, build, load_data  # noqa: E402
from tfjs_io import check_quantizer, read_weights, write_model  # noqa: E402

FIXTURES = 'test/fixtures/models'
REFERENCE_SAMPLES = 64
# One model per spelling at least; mobilenet-mnist has Keras 3's.
SPELLING = {'resnet-mnist': 'keras2', 'mobilenet-mnist': 'keras3', 'resnet-rgb32': 'keras2-legacy', 'mobilenet-rgb32': 'keras2'}


def load_trained(name):
    model = build(name)
    model.load_state_dict(torch.load(os.path.join(DATA_DIR, f'{name}.pt')))
    return model.eval()


def from_fixture(name, kind):
    """The PyTorch model with the weights of test/fixtures/models/<name>/<kind>/, as tfjs would decode them."""
    model = build(name)
    model.load_keras_weights(read_weights(os.path.join(FIXTURES, name, kind)))
    return model.eval()


def logits(model, x):
    with torch.no_grad():
        return model(torch.from_numpy(x)).numpy().astype(np.float32)


def export(name):
    model, spelling = load_trained(name), SPELLING[name]
    weights = model.keras_weights()
    for kind in ('float', 'uint8'):
        write_model(os.path.join(FIXTURES, name, kind), model_topology(model, spelling), weights, kind == 'uint8',
                    GENERATED_BY[spelling], CONVERTED_BY)
    xt, yt = load_data(name, 'test')
    x, y = xt[:REFERENCE_SAMPLES].numpy(), yt[:REFERENCE_SAMPLES].numpy().astype(np.int32)
    f, q = from_fixture(name, 'float'), from_fixture(name, 'uint8')
    ref = {'x': x, 'y': y, 'logits_float': logits(f, x), 'logits_uint8': logits(q, x)}
    assert np.array_equal(ref['logits_float'], logits(model, x)), 'float weights did not round-trip'
    np.savez_compressed(os.path.join(FIXTURES, name, 'reference.npz'), **ref)
    sizes = {k: os.path.getsize(os.path.join(FIXTURES, name, k, 'weights.bin')) for k in ('float', 'uint8')}
    print(f'{name} ({spelling}): {len(model.nodes)} layers, weights {sizes["float"]} / {sizes["uint8"]} bytes, '
          f'test accuracy float {accuracy(f, xt, yt):.4f} uint8 {accuracy(q, xt, yt):.4f}, '
          f'max |logit float - uint8| on the 64 references {np.abs(ref["logits_float"] - ref["logits_uint8"]).max():.4f}')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('names', nargs='*', default=list(MODELS))
    torch.set_num_threads(1)
    check_quantizer()
    for name in ap.parse_args().names:
        export(name)


if __name__ == '__main__':
    main()
