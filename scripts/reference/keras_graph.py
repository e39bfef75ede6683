"""A Keras Functional graph executed by PyTorch, so that the reference models have Keras semantics by construction.

Each layer is one node with Keras' class name, its Keras arguments, its inbound node names and, for layers with
weights, a torch module. forward() takes NHWC inputs (as the engine and tfjs do), runs NCHW inside and returns the
LOGITS: a final Dense with activation 'softmax' is exported with it but skipped here, so attacks see logits.
Keras' padding rules are applied explicitly, never torch's `padding=`: 'same' pads total = max((ceil(n/s) - 1) * s
+ k - n, 0) with the smaller half first (top/left), which differs from torch's symmetric padding when stride is 2.
keras_weights() / load_keras_weights() convert to and from Keras' weight layouts and names.
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def same_pads(n, k, s):
    """Keras/TF 'same' padding of one spatial dimension: (before, after)."""
    total = max((-(-n // s) - 1) * s + k - n, 0)
    return total // 2, total - total // 2


class Node:
    def __init__(self, name, cls, args, inputs, shape):
        self.name, self.cls, self.args, self.inputs, self.shape = name, cls, args, inputs, shape


class KerasGraph(nn.Module):
    def __init__(self, name, input_shape, input_name='input_1'):
        super().__init__()
        self.model_name = name
        self.nodes = [Node(input_name, 'InputLayer', {}, [], tuple(input_shape))]
        self.mods = nn.ModuleDict()

    # -- building (every method returns the new node's name, used as its output tensor) --------------------------
    def _add(self, name, cls, args, inputs, shape, module=None):
        assert all(n.name != name for n in self.nodes), f'duplicate layer name {name}'
        self.nodes.append(Node(name, cls, args, list(inputs), tuple(shape)))
        if module is not None:
            self.mods[name] = module
        return name

    def shape(self, x):
        return next(n.shape for n in self.nodes if n.name == x)

    @property
    def input(self):
        return self.nodes[0].name

    def _window(self, x, k, s, padding):
        h, w, c = self.shape(x)
        if padding == 'same':
            return -(-h // s), -(-w // s), c
        return (h - k) // s + 1, (w - k) // s + 1, c

    def conv(self, x, name, filters, k, stride=1, padding='same', use_bias=False):
        h, w, c = self._window(x, k, stride, padding)
        module = nn.Conv2d(c, filters, k, stride, padding=0, bias=use_bias)
        args = dict(filters=filters, kernel_size=k, strides=stride, padding=padding, use_bias=use_bias)
        return self._add(name, 'Conv2D', args, [x], (h, w, filters), module)

    def depthwise(self, x, name, k, stride=1, padding='same', depth_multiplier=1, use_bias=False):
        h, w, c = self._window(x, k, stride, padding)
        module = nn.Conv2d(c, c * depth_multiplier, k, stride, padding=0, groups=c, bias=use_bias)
        args = dict(kernel_size=k, strides=stride, padding=padding, depth_multiplier=depth_multiplier, use_bias=use_bias)
        return self._add(name, 'DepthwiseConv2D', args, [x], (h, w, c * depth_multiplier), module)

    def bn(self, x, name, epsilon=1e-5):
        c = self.shape(x)[2]
        return self._add(name, 'BatchNormalization', dict(epsilon=epsilon), [x], self.shape(x), nn.BatchNorm2d(c, eps=epsilon))

    def relu(self, x, name, max_value=None):
        return self._add(name, 'ReLU', dict(max_value=max_value), [x], self.shape(x))

    def add(self, xs, name):
        assert len({self.shape(x) for x in xs}) == 1, f'{name}: Add of different shapes'
        return self._add(name, 'Add', {}, xs, self.shape(xs[0]))

    def zero_pad(self, x, name, padding):
        (t, b), (l, r) = padding
        h, w, c = self.shape(x)
        return self._add(name, 'ZeroPadding2D', dict(padding=padding), [x], (h + t + b, w + l + r, c))

    def gap(self, x, name):
        return self._add(name, 'GlobalAveragePooling2D', {}, [x], (self.shape(x)[2],))

    def dense(self, x, name, units, activation='linear'):
        (c,) = self.shape(x)
        return self._add(name, 'Dense', dict(units=units, activation=activation), [x], (units,), nn.Linear(c, units))

    # -- running -------------------------------------------------------------------------------------------------
    def forward(self, x):
        t = {self.input: x.permute(0, 3, 1, 2)}
        for node in self.nodes[1:]:
            t[node.name] = self._apply(node, [t[i] for i in node.inputs])
        return t[self.nodes[-1].name]

    def _apply(self, node, xs):
        a, x = node.args, xs[0]
        if node.cls in ('Conv2D', 'DepthwiseConv2D'):
            if a['padding'] == 'same':
                (ih, iw, _), k, s = self.shape(node.inputs[0]), a['kernel_size'], a['strides']
                (pt, pb), (pl, pr) = same_pads(ih, k, s), same_pads(iw, k, s)
                x = F.pad(x, (pl, pr, pt, pb))
            return self.mods[node.name](x)
        if node.cls == 'BatchNormalization':
            return self.mods[node.name](x)
        if node.cls == 'ReLU':
            return F.relu(x) if a['max_value'] is None else torch.clamp(x, 0.0, a['max_value'])
        if node.cls == 'Add':
            return sum(xs[1:], xs[0])
        if node.cls == 'ZeroPadding2D':
            (t, b), (l, r) = a['padding']
            return F.pad(x, (l, r, t, b))
        if node.cls == 'GlobalAveragePooling2D':
            return x.mean(dim=(2, 3))
        if node.cls == 'Dense':
            y = self.mods[node.name](x)
            assert a['activation'] in ('linear', 'softmax'), a['activation']
            assert a['activation'] == 'linear' or node is self.nodes[-1], 'softmax only on the output layer'
            return y  # a final softmax is left to the exported model: forward() returns logits
        raise ValueError(f'expected a supported layer, got {node.cls}')

    # -- weights in Keras layout ---------------------------------------------------------------------------------
    def keras_weights(self):
        """[(name, float32 array)] in Keras' order and layout, as tensorflowjs_converter writes them."""
        out = []
        for node in self.nodes:
            m = self.mods[node.name] if node.name in self.mods else None
            if m is None:
                continue
            p = lambda t: t.detach().cpu().numpy().astype(np.float32)  # noqa: E731
            if node.cls == 'Conv2D':  # torch [out, in, kh, kw] -> Keras [kh, kw, in, out]
                out.append((f'{node.name}/kernel', p(m.weight.permute(2, 3, 1, 0))))
            elif node.cls == 'DepthwiseConv2D':  # torch [in*m, 1, kh, kw], channel c*m+j -> Keras [kh, kw, in, m]
                cin, mult = m.in_channels, node.args['depth_multiplier']
                out.append((f'{node.name}/depthwise_kernel', p(m.weight.reshape(cin, mult, *m.kernel_size).permute(2, 3, 0, 1))))
            elif node.cls == 'BatchNormalization':
                out += [(f'{node.name}/gamma', p(m.weight)), (f'{node.name}/beta', p(m.bias)),
                        (f'{node.name}/moving_mean', p(m.running_mean)), (f'{node.name}/moving_variance', p(m.running_var))]
                continue
            elif node.cls == 'Dense':  # torch [out, in] -> Keras [in, out]
                out.append((f'{node.name}/kernel', p(m.weight.t())))
            if m.bias is not None:
                out.append((f'{node.name}/bias', p(m.bias)))
        return out

    def load_keras_weights(self, weights):
        """The inverse of keras_weights(): `weights` maps Keras names to arrays in Keras layout."""
        used = set()

        def take(name):
            used.add(name)
            return torch.from_numpy(np.ascontiguousarray(weights[name], dtype=np.float32))

        with torch.no_grad():
            for node in self.nodes:
                if node.name not in self.mods:
                    continue
                m = self.mods[node.name]
                if node.cls == 'Conv2D':
                    m.weight.copy_(take(f'{node.name}/kernel').permute(3, 2, 0, 1))
                elif node.cls == 'DepthwiseConv2D':
                    k = take(f'{node.name}/depthwise_kernel')  # [kh, kw, in, m] -> [in, m, kh, kw] -> [in*m, 1, kh, kw]
                    m.weight.copy_(k.permute(2, 3, 0, 1).reshape(m.weight.shape))
                elif node.cls == 'BatchNormalization':
                    m.weight.copy_(take(f'{node.name}/gamma'))
                    m.bias.copy_(take(f'{node.name}/beta'))
                    m.running_mean.copy_(take(f'{node.name}/moving_mean'))
                    m.running_var.copy_(take(f'{node.name}/moving_variance'))
                    continue
                elif node.cls == 'Dense':
                    m.weight.copy_(take(f'{node.name}/kernel').t())
                if m.bias is not None:
                    m.bias.copy_(take(f'{node.name}/bias'))
        assert used == set(weights), f'unused weights: {sorted(set(weights) - used)}'
