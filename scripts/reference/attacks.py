"""torchattacks' FGSM and PGD (L-inf, cross-entropy on logits, inputs clipped to [0, 1]) on the whole built-in test
split, for each exported reference model with its float and its uint8 weights read back from the fixture files.

Writes test/fixtures/models/<name>/torchattacks.json. Needs torchattacks 3.5.1 on PYTHONPATH.
Usage: PYTHONPATH=/path/to/torchattacks-src python3 scripts/reference/attacks.py [--threads 1] [--limit N]
       [--only-eps EPS...] [names...]
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

# Every eps is run by both FGSM and PGD. The brief's are 0.1 and 0.3; smaller ones are added because these models are
# not adversarially trained, so above them nearly every accuracy is 0 and would not tell a right gradient from a
# wrong one (the colour models fall to 0 under PGD already at 0.03).
EPS = {'mnist.npz': [0.03, 0.1, 0.3], 'rgb32.npz': [0.01, 0.03, 0.1, 0.3]}
SETTINGS = {
    'fgsm': {},
    'pgd': {'alpha': 0.01, 'steps': 40, 'random_start': True},
    'loss': 'cross-entropy on logits (the exported softmax is not part of the attacked model)',
    'clip': [0.0, 1.0],
    'seed': 'torch.manual_seed(0) before each PGD eps (the random starts), so an eps does not depend on the others',
    'batch': 500,
}


def correct(model, x, y):
    with torch.no_grad():
        return (model(x).argmax(1) == y).sum().item()


def evaluate(model, x, y, eps_list, out):
    """Adds clean, fgsm[eps] and pgd[eps] accuracies on (x, y) to `out`, batch by batch."""
    b, n = SETTINGS['batch'], len(y)
    batches = [(x[i:i + b], y[i:i + b]) for i in range(0, n, b)]
    out['clean'] = sum(correct(model, xb, yb) for xb, yb in batches) / n
    p = SETTINGS['pgd']
    for eps in eps_list:
        attack = torchattacks.FGSM(model, eps=eps)
        out.setdefault('fgsm', {})[str(eps)] = sum(correct(model, attack(xb, yb), yb) for xb, yb in batches) / n
        torch.manual_seed(0)
        attack = torchattacks.PGD(model, eps=eps, alpha=p['alpha'], steps=p['steps'], random_start=p['random_start'])
        out.setdefault('pgd', {})[str(eps)] = sum(correct(model, attack(xb, yb), yb) for xb, yb in batches) / n
    for k in ('fgsm', 'pgd'):
        out[k] = dict(sorted(out[k].items(), key=lambda kv: float(kv[0])))
    return out


def run(name, limit, only_eps):
    """Attacks with every eps of the model, or (only_eps) adds those to its existing torchattacks.json."""
    t0 = time.time()
    x, y = load_data(name, 'test')
    if limit:
        x, y = x[:limit], y[:limit]
    path = os.path.join(FIXTURES, name, 'torchattacks.json')
    if only_eps:
        with open(path) as f:
            result = json.load(f)
        assert result['samples'] == len(y), 'an added eps must be run on the same samples'
    else:
        result = {
            'model': name,
            'data': f'built-in MNIST test split ({MODELS[name][1]}, {len(y)} samples, NHWC {list(x.shape[1:])}, bytes / 255)',
            'samples': len(y),
            'settings': {**SETTINGS},
            'versions': {'torch': torch.__version__, 'torchattacks': torchattacks.__version__, 'numpy': np.__version__},
            'seconds': 0,
        }
    eps_list = only_eps or EPS[MODELS[name][1]]
    for kind in ('float', 'uint8'):
        evaluate(from_fixture(name, kind), x, y, eps_list, result.setdefault(kind, {}))
        print(f'{name} {kind}: {json.dumps(result[kind])}', flush=True)
    done = result['settings'].get('eps', [])
    result['settings'] = {**SETTINGS, 'eps': sorted(set(done) | set(eps_list))}
    result['seconds'] = round(result['seconds'] + time.time() - t0, 1)
    if not limit:
        with open(path, 'w') as f:
            json.dump(result, f, indent=1)
            f.write('\n')
    print(f'{name}: {time.time() - t0:.0f} s', flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('names', nargs='*', default=list(MODELS))
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--limit', type=int, default=0, help='first N test samples only (a trial run; writes nothing)')
    ap.add_argument('--only-eps', type=float, nargs='+', help='run these eps only, adding them to torchattacks.json')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    for name in a.names:
        run(name, a.limit, a.only_eps)


if __name__ == '__main__':
    main()
