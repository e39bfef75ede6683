"""Small ONNX fixtures for test/onnx/: float models exported with torch.onnx.export (a ResNet-style and a
MobileNetV2-style CNN, and one with the less common ops), and the same models rewritten to weight-only int8/uint8
QDQ (per tensor and per output channel) plus one with activation QDQ. Run with Debian's python3 (python3-torch,
python3-onnx 1.12):  cd /tmp && /usr/bin/python3 /work/wt/onnx/scripts/onnx/make_fixtures.py OUTDIR"""
import sys
import numpy as np
import torch
import torch.nn as nn
import onnx
from onnx import helper, numpy_helper, TensorProto

torch.manual_seed(0)


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.short = None if stride == 1 and cin == cout else nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.b2(self.c2(torch.relu(self.b1(self.c1(x)))))
        return torch.relu(y + (x if self.short is None else self.short(x)))


class ResNetish(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 1, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(3, 2, 1))
        self.l1 = Block(8, 8, 1)
        self.l2 = Block(8, 16, 2)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = self.l2(self.l1(self.stem(x)))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


class Inverted(nn.Module):
    def __init__(self, cin, cout, stride, t):
        super().__init__()
        mid = cin * t
        self.use_res = stride == 1 and cin == cout
        self.body = nn.Sequential(
            nn.Conv2d(cin, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.ReLU6(),
            nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False), nn.BatchNorm2d(mid), nn.ReLU6(),
            nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        return x + self.body(x) if self.use_res else self.body(x)


class MobileNetV2ish(nn.Module):
    def __init__(self):
        super().__init__()
        self.f = nn.Sequential(
            nn.Conv2d(3, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU6(),
            Inverted(8, 8, 1, 1), Inverted(8, 12, 2, 4), Inverted(12, 12, 1, 4),
            nn.Conv2d(12, 32, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU6())
        self.drop = nn.Dropout(0.2)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        return self.fc(self.drop(self.f(x).mean([2, 3])))


class Mixed(nn.Module):
    """Ops the two references lack: dilation, groups, padding, flatten of an NCHW map (C,H,W feature order)."""
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, 1, 2, dilation=2)
        self.p = nn.PReLU(8)
        self.c2 = nn.Conv2d(8, 8, 3, 2, 0, groups=2)
        self.pool = nn.AvgPool2d(2, 2, 1, count_include_pad=True)
        self.fc1 = nn.Linear(8 * 5 * 5, 24)
        self.bn = nn.BatchNorm1d(24)
        self.fc2 = nn.Linear(24, 10)

    def forward(self, x):
        x = nn.functional.hardswish(self.p(self.c1(x)))
        x = nn.functional.pad(x, (1, 0, 0, 1))
        x = nn.functional.leaky_relu(self.c2(x), 0.1)
        x = torch.sigmoid(nn.functional.hardsigmoid(self.pool(x)) * 2 - 0.5)
        x = x.view(x.size(0), -1)
        x = torch.tanh(self.bn(self.fc1(x)))
        return torch.softmax(self.fc2(torch.clamp(x, -0.5, 0.75)), dim=1)


def init_bn(m):
    for mod in m.modules():
        if isinstance(mod, (nn.BatchNorm2d, nn.BatchNorm1d)):
            mod.running_mean.uniform_(-0.2, 0.2)
            mod.running_var.uniform_(0.5, 1.5)
            mod.weight.data.uniform_(0.5, 1.5)
            mod.bias.data.uniform_(-0.2, 0.2)


def export(model, path, hw=16):
    model.eval()
    init_bn(model)
    x = torch.rand(1, 3, hw, hw)
    torch.onnx.export(model, x, path, opset_version=13, input_names=['input'], output_names=['logits'],
                      dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}})


def qdq_weights(src, dst, per_channel, dtype):
    """Weight-only QDQ: each Conv / Gemm weight becomes an int8 (symmetric) or uint8 (asymmetric) initializer
    feeding DequantizeLinear, per tensor or per output channel (axis 0)."""
    m = onnx.load(src)
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    weights = [n.input[1] for n in g.node if n.op_type in ('Conv', 'Gemm') and n.input[1] in inits]
    nodes = []
    for name in dict.fromkeys(weights):
        w = numpy_helper.to_array(inits[name]).astype(np.float32)
        axes = tuple(range(1, w.ndim)) if per_channel else None
        if dtype == 'int8':
            scale = np.maximum(np.abs(w).max(axis=axes), 1e-8) / 127
            zp = np.zeros_like(scale, dtype=np.int8)
            shaped = scale.reshape((-1,) + (1,) * (w.ndim - 1)) if per_channel else scale
            q = np.clip(np.round(w / shaped), -127, 127).astype(np.int8)
        else:
            lo, hi = np.minimum(w.min(axis=axes), 0), np.maximum(w.max(axis=axes), 0)
            scale = np.maximum(hi - lo, 1e-8) / 255
            zp = np.clip(np.round(-lo / scale), 0, 255).astype(np.uint8)
            sh = (-1,) + (1,) * (w.ndim - 1)
            q = np.clip(np.round(w / (scale.reshape(sh) if per_channel else scale)) + (zp.reshape(sh) if per_channel else zp), 0, 255).astype(np.uint8)
        g.initializer.remove(inits[name])
        g.initializer.extend([numpy_helper.from_array(q, name + '_q'), numpy_helper.from_array(np.asarray(scale, np.float32), name + '_scale'),
                              numpy_helper.from_array(np.asarray(zp), name + '_zp')])
        nodes.append(helper.make_node('DequantizeLinear', [name + '_q', name + '_scale', name + '_zp'], [name], name=name + '_dq', axis=0))
    for i, n in enumerate(nodes):
        g.node.insert(i, n)
    onnx.checker.check_model(m)
    onnx.save(m, dst)


def qdq_activations(src, dst):
    """Fake-quantizes the output of every Relu (uint8, scale 1/32, zero point 0) with QuantizeLinear + DequantizeLinear."""
    m = onnx.load(src)
    g = m.graph
    g.initializer.extend([numpy_helper.from_array(np.asarray(1 / 32, np.float32), 'act_scale'), numpy_helper.from_array(np.asarray(0, np.uint8), 'act_zp')])
    out = []
    for n in g.node:
        out.append(n)
        if n.op_type == 'Relu':
            y = n.output[0]
            n.output[0] = y + '_f'
            out.append(helper.make_node('QuantizeLinear', [y + '_f', 'act_scale', 'act_zp'], [y + '_q'], name=y + '_quant'))
            out.append(helper.make_node('DequantizeLinear', [y + '_q', 'act_scale', 'act_zp'], [y], name=y + '_dequant'))
    del g.node[:]
    g.node.extend(out)
    onnx.checker.check_model(m)
    onnx.save(m, dst)


def external_data(src, dst_dir, name):
    """The model with every initializer in one external data file next to it (as torch.onnx.export does past 2 GB)."""
    import os
    os.makedirs(dst_dir, exist_ok=True)
    m = onnx.load(src)
    onnx.save_model(m, f'{dst_dir}/{name}.onnx', save_as_external_data=True, all_tensors_to_one_file=True,
                    location=f'{name}.data', size_threshold=0)


if __name__ == '__main__':
    out = sys.argv[1]
    export(ResNetish(), f'{out}/resnet.onnx')
    export(MobileNetV2ish(), f'{out}/mobilenetv2.onnx')
    export(Mixed(), f'{out}/mixed.onnx')
    qdq_weights(f'{out}/resnet.onnx', f'{out}/resnet-int8-channel.onnx', True, 'int8')
    qdq_weights(f'{out}/resnet.onnx', f'{out}/resnet-uint8-tensor.onnx', False, 'uint8')
    qdq_weights(f'{out}/mobilenetv2.onnx', f'{out}/mobilenetv2-int8-tensor.onnx', False, 'int8')
    qdq_weights(f'{out}/mobilenetv2.onnx', f'{out}/mobilenetv2-uint8-channel.onnx', True, 'uint8')
    qdq_weights(f'{out}/mixed.onnx', f'{out}/mixed-int8-channel.onnx', True, 'int8')
    qdq_activations(f'{out}/resnet-int8-channel.onnx', f'{out}/resnet-qdq-activations.onnx')
    external_data(f'{out}/resnet-int8-channel.onnx', f'{out}/external', 'resnet-int8-channel')
