"""torchattacks' FGSM and PGD (L-inf, cross-entropy on logits, inputs clipped to [0, 1]) on the whole built-in test
split, for each exported reference model with its float and its uint8 weights read back from the fixture files.

Writes test/fixtures/models/<name>/torchattacks.json. Needs torchattacks 3.5.1 on PYTHONPATH.
Usage: PYTHONPATH=/path/to/torchattacks-src python3 scripts/reference/attacks.py [--threads 1] [--limit N]
       [--only-eps EPS... [--out FILE]] [names...]
A run can be split by eps (each eps is independent of the others): `NAME --only-eps 0.01 --out part.json`, then
`NAME --merge part.json`; `NAME --merge` with no file only restates the fixture's settings.
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
    'fgsm': 'torchattacks.FGSM(model, eps)',
    'pgd': {'call': 'torchattacks.PGD(model, eps, alpha, steps, random_start)', 'alpha': 0.01, 'steps': 40, 'random_start': True},
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
    for eps in eps_list:  # both attacks at each eps
        attack = torchattacks.FGSM(model, eps=eps)
        out.setdefault('fgsm', {})[str(eps)] = sum(correct(model, attack(xb, yb), yb) for xb, yb in batches) / n
        torch.manual_seed(0)
        attack = torchattacks.PGD(model, eps=eps, alpha=p['alpha'], steps=p['steps'], random_start=p['random_start'])
        out.setdefault('pgd', {})[str(eps)] = sum(correct(model, attack(xb, yb), yb) for xb, yb in batches) / n
    return out


def fixture_path(name):
    return os.path.join(FIXTURES, name, 'torchattacks.json')


def finish(result):
    """Sorts each attack's eps and restates the settings with the eps the result holds."""
    for kind in ('float', 'uint8'):
        for k in ('fgsm', 'pgd'):
            result[kind][k] = dict(sorted(result[kind][k].items(), key=lambda kv: float(kv[0])))
    result['settings'] = {'eps': [float(e) for e in result['float']['fgsm']], **SETTINGS}
    return result


def write(result, path):
    with open(path, 'w') as f:
        json.dump(finish(result), f, indent=1)
        f.write('\n')


def run(name, limit, only_eps, out):
    """Attacks with every eps of the model, or (only_eps) adds those eps to the result at `out`, if there is one."""
    t0 = time.time()
    x, y = load_data(name, 'test')
    if limit:
        x, y = x[:limit], y[:limit]
    if only_eps and os.path.exists(out):
        with open(out) as f:
            result = json.load(f)
        assert result['samples'] == len(y), 'an added eps must be run on the same samples'
    else:
        result = {
            'model': name,
            'data': f'built-in MNIST test split ({MODELS[name][1]}, {len(y)} samples, NHWC {list(x.shape[1:])}, bytes / 255)',
            'samples': len(y),
            'settings': {},
            'versions': {'torch': torch.__version__, 'torchattacks': torchattacks.__version__, 'numpy': np.__version__},
            'seconds': 0,
        }
    for kind in ('float', 'uint8'):
        evaluate(from_fixture(name, kind), x, y, only_eps or EPS[MODELS[name][1]], result.setdefault(kind, {}))
        print(f'{name} {kind}: {json.dumps(result[kind])}', flush=True)
    result['seconds'] = round(result['seconds'] + time.time() - t0, 1)
    if not limit:
        write(result, out)
    print(f'{name}: {time.time() - t0:.0f} s', flush=True)


def merge(name, sources):
    """Adds the eps of other results for the same model and samples (runs split by eps) to its fixture."""
    with open(fixture_path(name)) as f:
        result = json.load(f)
    for src in sources:
        with open(src) as f:
            other = json.load(f)
        assert (other['model'], other['samples']) == (result['model'], result['samples']), src
        for kind in ('float', 'uint8'):
            assert other[kind]['clean'] == result[kind]['clean'], (src, kind)
            for k in ('fgsm', 'pgd'):
                result[kind][k].update(other[kind][k])
        result['seconds'] = round(result['seconds'] + other['seconds'], 1)
    write(result, fixture_path(name))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('names', nargs='*', default=list(MODELS))
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--limit', type=int, default=0, help='first N test samples only (a trial run; writes nothing)')
    ap.add_argument('--only-eps', type=float, nargs='+', help='run these eps only, adding them to the result')
    ap.add_argument('--out', help='write the result here instead of the fixture (one model only)')
    ap.add_argument('--merge', nargs='*', help='add these results (same model, other eps) to the fixture; no attack')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    assert not a.out or len(a.names) == 1, '--out takes one model'
    for name in a.names:
        if a.merge is not None:
            merge(name, a.merge)
        else:
            run(name, a.limit, a.only_eps, a.out or fixture_path(name))


if __name__ == '__main__':
    main()
