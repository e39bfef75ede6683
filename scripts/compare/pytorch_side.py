"""PyTorch + torchattacks side of the agreement check (scripts/compare/agreement.ts runs it).

Reads inputs.npz (x NHWC float32 in [0,1], y int labels, the model's weights under their tfjs names with '/'
replaced by '__'), rebuilds the same LeNet-style CNN in PyTorch, attacks it with torchattacks' FGSM and PGD, and
writes the accuracies as JSON. Usage: python3 pytorch_side.py inputs.npz settings.json out.json
"""
import json
import sys

import numpy as np
import torch
import torch.nn as nn
import torchattacks


class Net(nn.Module):
    """The example model's layers: conv3x3(8)-relu-pool2-conv3x3(16)-relu-pool2-flatten(HWC)-dense(64)-relu-dense(10)."""

    def __init__(self, w):
        super().__init__()
        self.c1 = nn.Conv2d(1, 8, 3)
        self.c2 = nn.Conv2d(8, 16, 3)
        self.d1 = nn.Linear(400, 64)
        self.d2 = nn.Linear(64, 10)
        with torch.no_grad():
            # tfjs conv kernels are [kh, kw, in, out]; torch wants [out, in, kh, kw].
            self.c1.weight.copy_(torch.from_numpy(w['conv2d_1__kernel']).permute(3, 2, 0, 1))
            self.c1.bias.copy_(torch.from_numpy(w['conv2d_1__bias']))
            self.c2.weight.copy_(torch.from_numpy(w['conv2d_2__kernel']).permute(3, 2, 0, 1))
            self.c2.bias.copy_(torch.from_numpy(w['conv2d_2__bias']))
            # tfjs dense kernels are [in, out]; torch Linear weights are [out, in].
            self.d1.weight.copy_(torch.from_numpy(w['dense_1__kernel']).t())
            self.d1.bias.copy_(torch.from_numpy(w['dense_1__bias']))
            self.d2.weight.copy_(torch.from_numpy(w['dense_2__kernel']).t())
            self.d2.bias.copy_(torch.from_numpy(w['dense_2__bias']))

    def forward(self, x):
        x = torch.max_pool2d(torch.relu(self.c1(x)), 2)
        x = torch.max_pool2d(torch.relu(self.c2(x)), 2)
        # Keras flattens channels-last (H, W, C); keep that order so the dense weights line up.
        x = x.permute(0, 2, 3, 1).reshape(x.shape[0], -1)
        return self.d2(torch.relu(self.d1(x)))


def accuracy(model, x, y, batch=500):
    with torch.no_grad():
        return sum((model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item() for i in range(0, len(y), batch)) / len(y)


def attacked_accuracy(model, attack, x, y, batch=500):
    correct = 0
    for i in range(0, len(y), batch):
        adv = attack(x[i:i + batch], y[i:i + batch])
        with torch.no_grad():
            correct += (model(adv).argmax(1) == y[i:i + batch]).sum().item()
    return correct / len(y)


def main():
    data = np.load(sys.argv[1])
    settings = json.load(open(sys.argv[2]))
    torch.manual_seed(settings['seed'])
    torch.set_num_threads(settings.get('threads', 1))
    model = Net({k: data[k] for k in data.files}).eval()
    x = torch.from_numpy(data['x']).permute(0, 3, 1, 2).contiguous()
    y = torch.from_numpy(data['y'].astype(np.int64))
    out = {'clean': accuracy(model, x, y), 'fgsm': {}, 'pgd': {}, 'torch': torch.__version__, 'torchattacks': torchattacks.__version__}
    for eps in settings['epsilons']:
        out['fgsm'][str(eps)] = attacked_accuracy(model, torchattacks.FGSM(model, eps=eps), x, y)
        pgd = torchattacks.PGD(model, eps=eps, alpha=settings['stepSize'], steps=settings['steps'], random_start=True)
        out['pgd'][str(eps)] = attacked_accuracy(model, pgd, x, y)
    json.dump(out, open(sys.argv[3], 'w'), indent=1)


if __name__ == '__main__':
    main()
