"""The engine's graph IR (src/engine/model/ir.ts, exported as JSON by bench/torch.ts) as a PyTorch module.

Every node becomes the torch.nn.functional call a PyTorch user would write, on the engine's own float32 weights
(keys '<node>/<role>'): rank-4 tensors are kept NCHW (PyTorch's native layout) and converted where Keras' NHWC
order matters (Flatten, Reshape, Permute, Dense on images, axes of Concatenate). TensorFlow's 'same' padding,
asymmetric on strided layers, becomes an explicit pad. BatchNormalization runs as F.batch_norm in eval mode (not
folded: the engine folds it at run time, PyTorch as usually deployed does not). Ops the bench models do not use and
that have no direct torch counterpart (activation fake-quantization, bilinear upsampling) are refused by name.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def same_pads(size, k, s, d):
    """TensorFlow 'same': total padding so that out = ceil(size / s), the extra pixel at the end (bottom / right)."""
    eff = (k - 1) * d + 1
    total = max((math.ceil(size / s) - 1) * s + eff - size, 0)
    return total // 2, total - total // 2


def pads_of(x, padding, kernel, strides, dilations=(1, 1)):
    """[top, bottom, left, right] of an IR Pad2D for NCHW x."""
    if padding == 'valid':
        return [0, 0, 0, 0]
    if padding == 'same':
        return [*same_pads(x.shape[2], kernel[0], strides[0], dilations[0]), *same_pads(x.shape[3], kernel[1], strides[1], dilations[1])]
    return list(padding)


def pad_input(x, p, value=0.0):
    """Symmetric pads go to the conv itself; asymmetric ones become F.pad. Returns (x, (ph, pw))."""
    t, b, l, r = p
    if t == b and l == r:
        return x, (t, l)
    return F.pad(x, (l, r, t, b), value=value), (0, 0)


def activate(x, a):
    fn = a['fn']
    simple = {
        'linear': lambda v: v, 'relu': F.relu, 'relu6': F.relu6, 'sigmoid': torch.sigmoid, 'tanh': torch.tanh,
        'softmax': lambda v: F.softmax(v, dim=1 if v.dim() == 4 else -1), 'selu': F.selu, 'softplus': F.softplus,
        'swish': F.silu, 'gelu': F.gelu, 'exponential': torch.exp, 'softsign': F.softsign, 'hardSwish': F.hardswish,
    }
    if fn in simple:
        return simple[fn](x)
    if fn == 'leaky':
        return F.leaky_relu(x, a['alpha'])
    if fn == 'elu':
        return F.elu(x, a['alpha'])
    if fn == 'hardSigmoid':
        return F.hardsigmoid(x) if a['keras3'] else torch.clamp(0.2 * x + 0.5, 0, 1)
    if fn == 'reluX':
        mx, slope, th = a['max'], a['slope'], a['threshold']
        if th == 0 and slope == 0:
            y = F.relu6(x) if mx == 6 else F.relu(x)
            return y if mx is None or mx == 6 else torch.clamp(y, max=mx)
        y = torch.where(x >= th, x, slope * (x - th))
        return y if mx is None else torch.clamp(y, max=mx)
    raise ValueError(f"expected an activation the bench supports, got '{fn}'")


def to_nhwc(x):
    return x.permute(0, 2, 3, 1) if x.dim() == 4 else x


def from_nhwc(x):
    return x.permute(0, 3, 1, 2).contiguous() if x.dim() == 4 else x


def channel_view(v, x):
    """A per-channel vector shaped to broadcast over x (channels on axis 1 of NCHW, else the last axis)."""
    return v.view(1, -1, 1, 1) if x.dim() == 4 else v


class GraphNet(nn.Module):
    """Runs an IR graph on NCHW images in [0, 1]; returns logits."""

    def __init__(self, graph, weights):
        super().__init__()
        self.graph = graph
        self.w = {}
        for key, arr in weights.items():
            node, role = key.rsplit('/', 1)
            t = torch.from_numpy(arr).float()
            self.w[key] = self.convert(graph, node, role, t)
        # Registered as buffers so .to() and state_dict see them; no gradients to the weights (PGD needs the input's only).
        for i, (k, t) in enumerate(self.w.items()):
            self.register_buffer(f'w{i}', t)
        self.keys = {k: f'w{i}' for i, k in enumerate(self.w)}

    @staticmethod
    def convert(graph, node, role, t):
        op = next(n['op'] for n in graph['nodes'] if n['name'] == node)
        if role in ('kernel', 'pointwise_kernel') and t.dim() == 4:
            return t.permute(3, 2, 0, 1).contiguous()  # [kh, kw, in, out] -> [out, in, kh, kw]
        if role == 'depthwise_kernel':
            kh, kw, c, m = t.shape  # output channel c*m + j is element [.., c, j]
            return t.reshape(kh, kw, c * m).permute(2, 0, 1).unsqueeze(1).contiguous()
        if role == 'kernel' and op['type'] == 'dense':
            return t.t().contiguous()  # F.linear wants [out, in]
        if role == 'alpha' and t.dim() == 3:
            return t.permute(2, 0, 1).contiguous()
        return t

    def wt(self, node, role):
        return getattr(self, self.keys[f'{node}/{role}'])

    def forward(self, x):
        g = self.graph
        pre = g['preprocess']
        if pre and pre['kind'] == 'affine':
            x = x * channel_view(torch.tensor(pre['scale']), x) + channel_view(torch.tensor(pre['offset']), x)
        elif pre:
            x = (x - channel_view(torch.tensor(pre['mean']), x)) / channel_view(torch.tensor(pre['std']), x)
        if list(g['input']['shape']) != list(g['imageShape']):
            x = from_nhwc(to_nhwc(x).reshape(x.shape[0], *g['input']['shape']))
        values = {g['input']['name']: x}
        for n in g['nodes']:
            values[n['name']] = self.node(n, [values[i] for i in n['inputs']])
        return values[g['output']]

    def node(self, n, xs):
        op, name, x = n['op'], n['name'], xs[0]
        t = op['type']
        w = lambda role: self.wt(name, role)  # noqa: E731
        if t == 'conv2d':
            x, p = pad_input(x, pads_of(x, op['padding'], op['kernel'], op['strides'], op['dilations']))
            y = F.conv2d(x, w('kernel'), w('bias') if op['useBias'] else None, op['strides'], p, op['dilations'], op['groups'])
            return activate(y, op['act'])
        if t in ('depthwise', 'separable'):
            x, p = pad_input(x, pads_of(x, op['padding'], op['kernel'], op['strides'], op['dilations']))
            dk = w('depthwise_kernel')
            bias = w('bias') if op['useBias'] else None
            y = F.conv2d(x, dk, bias if t == 'depthwise' else None, op['strides'], p, op['dilations'], x.shape[1])
            if t == 'separable':
                y = F.conv2d(y, w('pointwise_kernel'), bias)
            return activate(y, op['act'])
        if t == 'dense':
            b = w('bias') if op['useBias'] else None
            return activate(F.linear(x, w('kernel'), b) if x.dim() != 4 else from_nhwc(F.linear(to_nhwc(x), w('kernel'), b)), op['act'])
        if t == 'pool':
            return self.pool(x, op)
        if t == 'globalPool':
            return (torch.amax if op['mode'] == 'max' else torch.mean)(x, dim=(2, 3), keepdim=op['keepdims'])
        if t == 'pad':
            tp, bt, lf, rt = op['pads']
            return F.pad(x, (lf, rt, tp, bt))
        if t == 'crop':
            tp, bt, lf, rt = op['crop']
            return x[:, :, tp:x.shape[2] - bt, lf:x.shape[3] - rt]
        if t == 'act':
            return activate(x, op['act'])
        if t == 'prelu':
            return F.relu(x) + w('alpha') * torch.clamp(x, max=0)
        if t == 'batchNorm':
            gamma = w('gamma') if op['scale'] else None
            beta = w('beta') if op['center'] else None
            return F.batch_norm(x, w('moving_mean'), w('moving_variance'), gamma, beta, False, 0.0, op['epsilon'])
        if t == 'layerNorm':
            y = F.layer_norm(to_nhwc(x), (x.shape[1] if x.dim() == 4 else x.shape[-1],), w('gamma') if op['scale'] else None, w('beta') if op['center'] else None, op['epsilon'])
            return from_nhwc(y)
        if t == 'affine':
            return x * channel_view(torch.tensor(op['scale']), x) + channel_view(torch.tensor(op['offset']), x)
        if t == 'normalize':
            return (x - channel_view(w('mean'), x)) / torch.clamp(torch.sqrt(channel_view(w('variance'), x)), min=op['epsilon'])
        if t == 'merge':
            return self.merge(xs, op['mode'])
        if t == 'concat':
            rank = x.dim()
            axis = op['axis'] if op['axis'] >= 0 else rank - 1 + op['axis']  # non-batch NHWC axis
            return torch.cat(xs, dim=[2, 3, 1][axis] if rank == 4 else axis + 1)
        if t == 'reshape':
            return from_nhwc(to_nhwc(x).reshape(x.shape[0], *op['shape']))
        if t == 'flatten':
            return to_nhwc(x).reshape(x.shape[0], -1)  # Keras flattens channels-last
        if t == 'permute':
            return from_nhwc(to_nhwc(x).permute(0, *op['dims']))
        if t == 'upsample' and op['interpolation'] == 'nearest':
            return F.interpolate(x, scale_factor=tuple(op['size']), mode='nearest')
        if t == 'identity':
            return x
        raise ValueError(f"expected an op the PyTorch bench supports, got '{t}' (node '{name}')")

    @staticmethod
    def pool(x, op):
        k, s = op['size'], op['strides']
        p = pads_of(x, op['padding'], k, s)
        tp, bt, lf, rt = p
        if op['mode'] == 'max':
            # Lowest float32, as the engine: a padded cell never wins.
            return F.max_pool2d(F.pad(x, (lf, rt, tp, bt), value=-3.4028234663852886e38) if any(p) else x, k, s)
        if op['padding'] == 'same' and any(p):
            # TensorFlow averages over the cells inside the image only.
            ones = torch.ones_like(x[:1, :1])
            return F.avg_pool2d(F.pad(x, (lf, rt, tp, bt)), k, s) / F.avg_pool2d(F.pad(ones, (lf, rt, tp, bt)), k, s)
        return F.avg_pool2d(F.pad(x, (lf, rt, tp, bt)) if any(p) else x, k, s)

    @staticmethod
    def merge(xs, mode):
        if mode == 'add':
            return sum(xs[1:], xs[0])
        if mode == 'sub':
            return xs[0] - xs[1]
        if mode == 'avg':
            return sum(xs[1:], xs[0]) / len(xs)
        out = xs[0]
        for v in xs[1:]:
            out = out * v if mode == 'mul' else torch.maximum(out, v) if mode == 'max' else torch.minimum(out, v)
        return out
