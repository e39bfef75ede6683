"""PyTorch + torchattacks side of the agreement check (scripts/compare/agreement.ts runs it).

Reads inputs.npz (x NHWC float32 in [0,1], y int labels, the model's weights under their tfjs names with '/'
replaced by '__'), rebuilds the same LeNet-style CNN in PyTorch, runs each row of settings.json (attack, norm,
epsilon) with torchattacks and writes the accuracies as JSON. A sample counts as correct only if it is classified
correctly on the clean input and after the attack (AutoAttack / RobustBench), as in qaudit's reports.
CW is torchattacks' PGD loop with the Carlini-Wagner margin loss of Madry et al.'s MNIST challenge (kappa 50):
torchattacks' own CW is the L2 minimum-norm optimisation, a different attack.
Usage: python3 pytorch_side.py inputs.npz settings.json out.json
"""
import json
import math
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


class PGDCW(torchattacks.PGD):
    """torchattacks' PGD loop (L-inf, random start) ascending -max(z_y - max_{j!=y} z_j, -kappa)."""

    def forward(self, images, labels):
        images = images.clone().detach()
        adv = torch.clamp(images + torch.empty_like(images).uniform_(-self.eps, self.eps), 0, 1).detach()
        onehot = torch.nn.functional.one_hot(labels, 10).float()
        for _ in range(self.steps):
            adv.requires_grad = True
            z = self.get_logits(adv)
            zy = (z * onehot).sum(1)
            other = (z - 1e30 * onehot).max(1)[0]
            cost = -torch.relu(zy - other + 50.0).sum()
            grad = torch.autograd.grad(cost, adv)[0]
            adv = adv.detach() + self.alpha * grad.sign()
            adv = torch.clamp(images + torch.clamp(adv - images, -self.eps, self.eps), 0, 1).detach()
        return adv


class SquareRedraw(torchattacks.Square):
    """torchattacks' Square at L-inf (its attack_single_run loop, with the same window schedule and margin loss)
    plus the authors' original redraw (max-andr/square-attack, attack.py): a sample whose proposed window would
    leave its current best unchanged draws new signs for that window until it changes, so no query is spent on an
    unchanged image. torchattacks, like AutoAttack's torch port, shares one window and one sign per iteration across
    the batch and has no such loop."""

    def attack_single_run(self, x, y):
        with torch.no_grad():
            c, h, w = x.shape[1:]
            n_features = c * h * w
            x_best = torch.clamp(x + self.eps * self.random_choice([x.shape[0], c, 1, w]), 0.0, 1.0)
            margin_min, loss_min = self.margin_and_loss(x_best, y)
            n_queries = torch.ones(x.shape[0])
            for i_iter in range(self.n_queries):
                idx = (margin_min > 0.0).nonzero().flatten()
                if len(idx) == 0:
                    break
                x_curr, x_best_curr, y_curr = x[idx], x_best[idx], y[idx]
                p = self.p_selection(i_iter)
                s = max(int(round(math.sqrt(p * n_features / c))), 1)
                vh = self.random_int(0, h - s)
                vw = self.random_int(0, w - s)
                signs = self.random_choice([1, c, 1, 1]).repeat(len(idx), 1, 1, 1)
                for _ in range(100):
                    window = torch.clamp(x_curr[:, :, vh:vh + s, vw:vw + s] + self.eps * signs, 0.0, 1.0)
                    same = ((window - x_best_curr[:, :, vh:vh + s, vw:vw + s]).abs() < 1e-7).flatten(1).all(1)
                    if not same.any():
                        break
                    signs[same] = self.random_choice([int(same.sum()), c, 1, 1])
                x_new = x_best_curr.clone()
                x_new[:, :, vh:vh + s, vw:vw + s] = window
                margin, loss = self.margin_and_loss(x_new, y_curr)
                improved = (loss < loss_min[idx]).float()
                loss_min[idx] = improved * loss + (1.0 - improved) * loss_min[idx]
                improved = torch.max(improved, (margin <= 0.0).float())
                margin_min[idx] = improved * margin + (1.0 - improved) * margin_min[idx]
                improved = improved.reshape([-1, 1, 1, 1])
                x_best[idx] = improved * x_new + (1.0 - improved) * x_best_curr
                n_queries[idx] += 1.0
        return n_queries, x_best


def make(model, row, s):
    a, eps = row['attack'], row['eps']
    norm = 'Linf' if row['norm'] == 'linf' else 'L2'
    if a == 'fgsm':
        return torchattacks.FGSM(model, eps=eps)
    if a == 'pgd':
        if norm == 'Linf':
            return torchattacks.PGD(model, eps=eps, alpha=s['stepSize'], steps=s['steps'], random_start=True)
        return torchattacks.PGDL2(model, eps=eps, alpha=eps / 4, steps=s['steps'], random_start=True)
    if a == 'cw':
        return PGDCW(model, eps=eps, alpha=s['stepSize'], steps=s['steps'], random_start=True)
    if a in ('apgd', 'apgd-dlr'):
        return torchattacks.APGD(model, norm=norm, eps=eps, steps=s['apgdSteps'], n_restarts=1, seed=0, loss='ce' if a == 'apgd' else 'dlr')
    if a == 'apgd-t':
        return torchattacks.APGDT(model, norm=norm, eps=eps, steps=s['apgdSteps'], n_restarts=1, seed=0, n_classes=10)
    if a == 'square':
        return torchattacks.Square(model, norm=norm, eps=eps, n_queries=s['squareQueries'], p_init=0.8, loss='margin', seed=0)
    raise ValueError(a)


def robust(model, attack, x, y, batch=500):
    correct = 0
    for i in range(0, len(y), batch):
        xb, yb = x[i:i + batch], y[i:i + batch]
        with torch.no_grad():
            ok = model(xb).argmax(1) == yb
        adv = attack(xb, yb)
        with torch.no_grad():
            correct += (ok & (model(adv).argmax(1) == yb)).sum().item()
    return correct / len(y)


def main():
    data = np.load(sys.argv[1])
    s = json.load(open(sys.argv[2]))
    torch.manual_seed(s['seed'])
    torch.set_num_threads(s.get('threads', 1))
    model = Net({k: data[k] for k in data.files}).eval()
    x = torch.from_numpy(data['x']).permute(0, 3, 1, 2).contiguous()
    y = torch.from_numpy(data['y'].astype(np.int64))
    with torch.no_grad():
        clean = (model(x).argmax(1) == y).float().mean().item()
    out = {'clean': clean, 'rows': {}, 'torch': torch.__version__, 'torchattacks': torchattacks.__version__}
    for row in s['rows']:
        key = f"{row['attack']}|{row['norm']}|{row['eps']}"
        out['rows'][key] = robust(model, make(model, row, s), x, y)
        print(key, out['rows'][key], flush=True)
        if row['attack'] == 'square' and row['norm'] == 'linf':
            torch.manual_seed(s['seed'])
            redraw = SquareRedraw(model, norm='Linf', eps=row['eps'], n_queries=s['squareQueries'], p_init=0.8, loss='margin', seed=0)
            out['rows'][f"square-redraw|linf|{row['eps']}"] = robust(model, redraw, x, y)
            print('square-redraw', row['eps'], out['rows'][f"square-redraw|linf|{row['eps']}"], flush=True)
    json.dump(out, open(sys.argv[3], 'w'), indent=1)


if __name__ == '__main__':
    main()
