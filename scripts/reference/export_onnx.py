"""Exports each reference model as ONNX, the way PyTorch users deploy it: torch.onnx.export of the model with the
weights of its committed float fixture (NCHW input in [0, 1], logits out, opset 13), and the same graph rewritten to
weight-only int8 QDQ per output channel (scripts/onnx/make_fixtures.py qdq_weights, as onnxruntime's
quantize_static writes weights). Writes test/fixtures/models/<name>/onnx/{model.onnx,model-int8.onnx}; checks
that the exported float graph gives the PyTorch logits of reference.npz.

Usage: python3 scripts/reference/export_onnx.py [names...]   (Debian's python3-torch and python3-onnx)
"""
import argparse
import os
import sys

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'onnx'))
from export_tfjs import FIXTURES, from_fixture  # noqa: E402
from make_fixtures import qdq_weights  # noqa: E402
from models import MODELS  # noqa: E402


class Nchw(nn.Module):
    """The reference model on NCHW input, PyTorch's layout (its own forward takes NHWC, as Keras does)."""
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x):
        return self.model(x.permute(0, 2, 3, 1))


def export(name):
    out = os.path.join(FIXTURES, name, 'onnx')
    os.makedirs(out, exist_ok=True)
    model = Nchw(from_fixture(name, 'float')).eval()
    ref = np.load(os.path.join(FIXTURES, name, 'reference.npz'))
    x = torch.from_numpy(ref['x']).permute(0, 3, 1, 2).contiguous()
    with torch.no_grad():
        assert np.allclose(model(x).numpy(), ref['logits_float'], rtol=0, atol=1e-5), 'the NCHW wrapper changed the logits'
    path = os.path.join(out, 'model.onnx')
    torch.onnx.export(model, x[:1], path, opset_version=13, input_names=['input'], output_names=['logits'],
                      dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}})
    qdq_weights(path, os.path.join(out, 'model-int8.onnx'), True, 'int8')
    print(f'{name}: {os.path.getsize(path)} bytes float, {os.path.getsize(os.path.join(out, "model-int8.onnx"))} bytes int8 QDQ')


def main():
    p = argparse.ArgumentParser()
    p.add_argument('names', nargs='*', default=list(MODELS))
    for name in p.parse_args().names:
        export(name)


if __name__ == '__main__':
    main()
