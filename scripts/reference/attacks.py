"""torchattacks' FGSM and PGD (L-inf, cross-entropy on logits, inputs clipped to [0, 1]) on the whole built-in test
split, for each exported reference model with its float and its uint8 weights read back from the fixture files.

Writes test/fixtures/models/<name>/torchattacks.json. Needs torchattacks 3.5.1 on PYTHONPATH.
Usage: PYTHONPATH=/path/to/torchattacks-src python3 scripts/reference/attacks.py [--threads 1] [--limit N] [names...]
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torchattacks

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_tfjs import FIXTURES, from_fixture  # noqa: E402
from models import MODELS, load_data  # noqa: E402

SETTINGS = {
    'fgsm': {'eps': [0.03, 0.1, 0.3]},
    'pgd': {'eps': [0.03, 0.1, 0.3], 'alpha': 0.01, 'steps': 40, 'random_start': True},
    'loss': 'cross-entropy on logits (the exported softmax is not part of the attacked model)',
    'clip': [0.0, 1.0],
    'seed': 0,
    'batch': 500,
}


def correct(model, x, y):
    with torch.no_grad():
        return (model(x).argmax(1) == y).sum().item()


def evaluate(model, x, y):
    """Accuracies {clean, fgsm: {eps: acc}, pgd: {eps: acc}} on (x, y), batch by batch."""
    b, n = SETTINGS['batch'], len(y)
    batches = [(x[i:i + b], y[i:i + b]) for i in range(0, n, b)]
    out = {'clean': sum(correct(model, xb, yb) for xb, yb in batches) / n, 'fgsm': {}, 'pgd': {}}
    for eps in SETTINGS['fgsm']['eps']:
        attack = torchattacks.FGSM(model, eps=eps)
        out['fgsm'][str(eps)] = sum(correct(model, attack(xb, yb), yb) for xb, yb in batches) / n
    p = SETTINGS['pgd']
    for eps in p['eps']:
        torch.manual_seed(SETTINGS['seed'])  # the random starts
        attack = torchattacks.PGD(model, eps=eps, alpha=p['alpha'], steps=p['steps'], random_start=p['random_start'])
        out['pgd'][str(eps)] = sum(correct(model, attack(xb, yb), yb) for xb, yb in batches) / n
    return out


def run(name, limit):
    t0 = time.time()
    x, y = load_data(name, 'test')
    if limit:
        x, y = x[:limit], y[:limit]
    result = {
        'model': name,
        'data': f'built-in MNIST test split ({MODELS[name][1]}, {len(y)} samples, NHWC {list(x.shape[1:])}, bytes / 255)',
        'samples': len(y),
        'settings': SETTINGS,
        'versions': {'torch': torch.__version__, 'torchattacks': torchattacks.__version__, 'numpy': np.__version__},
    }
    for kind in ('float', 'uint8'):
        result[kind] = evaluate(from_fixture(name, kind), x, y)
        print(f'{name} {kind}: {json.dumps(result[kind])}', flush=True)
    result['seconds'] = round(time.time() - t0, 1)
    if not limit:
        with open(os.path.join(FIXTURES, name, 'torchattacks.json'), 'w') as f:
            json.dump(result, f, indent=1)
            f.write('\n')
    print(f'{name}: {result["seconds"]} s', flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('names', nargs='*', default=list(MODELS))
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--limit', type=int, default=0, help='first N test samples only (a trial run; writes nothing)')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    for name in a.names:
        run(name, a.limit)


if __name__ == '__main__':
    main()
