"""The reference models (a small ResNet and a small MobileNetV2, each for 28x28x1 and 32x32x3 MNIST) and their training.

Layer names follow keras.applications (ResNet50: conv1_conv, conv2_block1_1_conv, ..._add, ..._out; MobileNetV2:
Conv1, bn_Conv1, block_1_expand, block_1_pad, block_1_depthwise, block_1_project_BN, block_2_add), and so do the
stride-2 rules: a stride-2 depthwise is ZeroPadding2D(correct_pad) + 'valid', where correct_pad is ((0, 1), (0, 1))
for an even input size and ((1, 1), (1, 1)) for an odd one.

Usage: python3 scripts/reference/models.py [--epochs N] [--threads 1] [names...]
Reads .data/reference/{mnist,rgb32}.npz (scripts/reference/data.ts), writes .data/reference/<name>.pt.
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keras_graph import KerasGraph  # noqa: E402

DATA_DIR = '.data/reference'
SEED = 0


def resnet(name, input_shape, classes=10):
    g = KerasGraph(name, input_shape)
    x = g.conv(g.input, 'conv1_conv', 16, 3, stride=2)  # 'same' with stride 2: pads 0 before, 1 after
    x = g.relu(g.bn(x, 'conv1_bn'), 'conv1_relu')
    # Identity block.
    y = g.relu(g.bn(g.conv(x, 'conv2_block1_1_conv', 16, 3), 'conv2_block1_1_bn'), 'conv2_block1_1_relu')
    y = g.bn(g.conv(y, 'conv2_block1_2_conv', 16, 3), 'conv2_block1_2_bn')
    x = g.relu(g.add([x, y], 'conv2_block1_add'), 'conv2_block1_out')
    # Projection block, stride 2: the shortcut is a 1x1 conv with stride 2.
    s = g.bn(g.conv(x, 'conv3_block1_0_conv', 32, 1, stride=2, padding='valid'), 'conv3_block1_0_bn')
    y = g.relu(g.bn(g.conv(x, 'conv3_block1_1_conv', 32, 3, stride=2), 'conv3_block1_1_bn'), 'conv3_block1_1_relu')
    y = g.bn(g.conv(y, 'conv3_block1_2_conv', 32, 3), 'conv3_block1_2_bn')
    x = g.relu(g.add([s, y], 'conv3_block1_add'), 'conv3_block1_out')
    x = g.gap(x, 'avg_pool')
    g.dense(x, 'predictions', classes, activation='softmax')
    return g


def correct_pad(size):
    """keras.applications' imagenet_utils.correct_pad for a 3x3 kernel."""
    return ((0, 1), (0, 1)) if size % 2 == 0 else ((1, 1), (1, 1))


def inverted_residual(g, x, block, expansion, filters, stride, depth_multiplier=1):
    p = f'block_{block}_'
    inp, c = x, g.shape(x)[2]
    if expansion != 1:
        x = g.relu(g.bn(g.conv(x, p + 'expand', c * expansion, 1), p + 'expand_BN'), p + 'expand_relu', 6.0)
    if stride == 2:
        x = g.zero_pad(x, p + 'pad', correct_pad(g.shape(x)[0]))
    x = g.depthwise(x, p + 'depthwise', 3, stride, 'same' if stride == 1 else 'valid', depth_multiplier)
    x = g.relu(g.bn(x, p + 'depthwise_BN'), p + 'depthwise_relu', 6.0)
    x = g.bn(g.conv(x, p + 'project', filters, 1), p + 'project_BN')
    if stride == 1 and g.shape(inp) == g.shape(x):
        x = g.add([inp, x], p + 'add')
    return x


def mobilenet(name, input_shape, classes=10):
    g = KerasGraph(name, input_shape)
    x = g.conv(g.input, 'Conv1', 16, 3, stride=2)
    x = g.relu(g.bn(x, 'bn_Conv1'), 'Conv1_relu', 6.0)
    # Block 0 has no expansion conv: its depthwise (depth_multiplier 2) widens 16 -> 32 channels instead.
    x = inverted_residual(g, x, 0, 1, 16, 1, depth_multiplier=2)
    x = inverted_residual(g, x, 1, 3, 24, 2)
    x = inverted_residual(g, x, 2, 3, 24, 1)
    x = inverted_residual(g, x, 3, 3, 32, 2)
    x = g.relu(g.bn(g.conv(x, 'Conv_1', 64, 1), 'Conv_1_bn'), 'out_relu', 6.0)
    x = g.gap(x, 'global_average_pooling2d')
    g.dense(x, 'predictions', classes, activation='softmax')
    return g


# name -> (architecture, data file, input shape, training epochs). Colour digits need more epochs: a digit is told
# from its background only by which colour is rarer, and with 2 epochs the ResNet stays near 60%.
MODELS = {
    'resnet-mnist': (resnet, 'mnist.npz', (28, 28, 1), 2),
    'mobilenet-mnist': (mobilenet, 'mnist.npz', (28, 28, 1), 2),
    'resnet-rgb32': (resnet, 'rgb32.npz', (32, 32, 3), 8),
    'mobilenet-rgb32': (mobilenet, 'rgb32.npz', (32, 32, 3), 8),
}


def build(name):
    arch, _, shape, _ = MODELS[name]
    torch.manual_seed(SEED)
    return arch(name.replace('-', '_'), shape)


def load_data(name, split):
    """x NHWC float32 in [0, 1] (bytes / 255), y int64."""
    d = np.load(os.path.join(DATA_DIR, MODELS[name][1]))
    return torch.from_numpy(d[f'x_{split}'].astype(np.float32) / np.float32(255)), torch.from_numpy(d[f'y_{split}'].astype(np.int64))


def accuracy(model, x, y, batch=500):
    model.eval()
    with torch.no_grad():
        return sum((model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item() for i in range(0, len(y), batch)) / len(y)


def train(name, epochs, batch=64, lr=3e-3):
    model = build(name)
    x, y = load_data(name, 'train')
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(SEED)
    steps = epochs * (-(-len(y) // batch))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps)
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(y), generator=gen)
        for i in range(0, len(y), batch):
            idx = order[i:i + batch]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    model.eval()
    return model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('names', nargs='*', default=list(MODELS))
    ap.add_argument('--epochs', type=int, default=None, help="default: the model's own (MODELS)")
    ap.add_argument('--threads', type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    for name in a.names:
        t0 = time.time()
        epochs = a.epochs or MODELS[name][3]
        model = train(name, epochs)
        xt, yt = load_data(name, 'test')
        params = sum(p.numel() for p in model.parameters())
        torch.save(model.state_dict(), os.path.join(DATA_DIR, f'{name}.pt'))
        print(f'{name}: {params} parameters, test accuracy {accuracy(model, xt, yt):.4f} '
              f'({len(yt)} samples), trained {epochs} epochs in {time.time() - t0:.0f} s', flush=True)


if __name__ == '__main__':
    main()
