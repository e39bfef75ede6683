"""PyTorch side of the performance bench (bench/performance.ts runs it; not part of the test suite).

Reads graph.json (the engine's graph IR of the model, built into a torch module by torch_graph.py), inputs.npz
(x NHWC float32 in [0,1], y int labels, the engine's float logits of the first `batch` inputs, and for every
variant v in settings['variants'] weight i of settings['weightKeys'] ('<node>/<role>') under 'v__w<i>', exported by the engine so both sides
attack bit-identical weights) and settings.json. Checks first that its float logits agree with the engine's (and
stops if they do not), then measures at each thread count of settings['threads'] (torch.set_num_threads): forward
images/s, PGD images x steps/s, and, when settings['audit'], the standard audit end to end (clean pass, then FGSM,
PGD, APGD-CE, Square on every variant at every epsilon). Writes the figures as JSON.
Attacks come from torchattacks when it imports (TORCHATTACKS_PATH on PYTHONPATH); otherwise from the small
implementations below, and the output says so. Usage: python3 bench_torch.py graph.json inputs.npz settings.json out.json
"""
import json
import resource
import sys
import time

import numpy as np
import torch
import torch.nn as nn

from torch_graph import GraphNet

try:
    import torchattacks
except ImportError:  # not installed: fall back to this script's own attacks (reported in the output)
    torchattacks = None


def own_pgd(model, x, y, eps, steps, alpha, random_start=True):
    """L-inf PGD (Madry et al.) as torchattacks runs it; also FGSM (steps=1, alpha=eps, no random start)."""
    adv = x.clone()
    if random_start:
        adv = (adv + torch.empty_like(adv).uniform_(-eps, eps)).clamp(0, 1)
    for _ in range(steps):
        adv.requires_grad_(True)
        loss = nn.functional.cross_entropy(model(adv), y)
        g, = torch.autograd.grad(loss, adv)
        adv = torch.min(torch.max(adv.detach() + alpha * g.sign(), x - eps), x + eps).clamp(0, 1)
    return adv


def own_square(model, x, y, eps, queries, p_init=0.8):
    """A compact Square attack (Andriushchenko et al.): stripe init, then one random +-eps square per query."""
    n, c, h, w = x.shape
    adv = (x + eps * torch.sign(torch.randn(n, c, 1, w))).clamp(0, 1)
    with torch.no_grad():
        def margin(a, t):
            z = model(a)
            zy = z.gather(1, t[:, None])[:, 0]
            return zy - z.scatter(1, t[:, None], -1e30).max(1).values
        m = margin(adv, y)
        for it in range(queries - 2):
            act = (m > 0).nonzero()[:, 0]
            if len(act) == 0:
                break
            p = p_init / 2 ** min(int(10 * it / queries), 9)
            s = max(1, min(h - 1, int(round((p * h * w) ** 0.5))))
            i, j = np.random.randint(0, h - s + 1), np.random.randint(0, w - s + 1)
            cand = adv[act].clone()
            cand[:, :, i:i + s, j:j + s] = x[act, :, i:i + s, j:j + s] + eps * torch.sign(torch.randn(len(act), c, 1, 1))
            cand = torch.min(torch.max(cand, x[act] - eps), x[act] + eps).clamp(0, 1)
            mc = margin(cand, y[act])
            better = mc < m[act]
            adv[act[better]] = cand[better]
            m[act[better]] = mc[better]
    return adv


def make_attacks(model, eps, s):
    """name -> callable(x, y) for the standard audit's attacks at `eps`."""
    if torchattacks is not None:
        return {
            'fgsm': torchattacks.FGSM(model, eps=eps),
            'pgd': torchattacks.PGD(model, eps=eps, alpha=s['stepSize'], steps=s['pgdSteps'], random_start=True),
            'apgd': torchattacks.APGD(model, norm='Linf', eps=eps, steps=s['apgdSteps'], n_restarts=1, loss='ce', rho=.75, seed=s['seed']),
            'square': torchattacks.Square(model, norm='Linf', eps=eps, n_queries=s['queries'], n_restarts=1, p_init=.8, loss='margin', seed=s['seed']),
        }
    return {
        'fgsm': lambda x, y: own_pgd(model, x, y, eps, 1, eps, random_start=False),
        'pgd': lambda x, y: own_pgd(model, x, y, eps, s['pgdSteps'], s['stepSize']),
        # Fallback only: APGD's cost is its gradient steps, so PGD with as many steps stands in for it.
        'apgd': lambda x, y: own_pgd(model, x, y, eps, s['apgdSteps'], eps / 4),
        'square': lambda x, y: own_square(model, x, y, eps, s['queries']),
    }


def per_second(f, work, seconds):
    """work / (seconds per call of f), timed over at least `seconds` after one warm-up call."""
    f()
    calls, t0 = 0, time.perf_counter()
    while calls < 2 or time.perf_counter() - t0 < seconds:
        f()
        calls += 1
    return work * calls / (time.perf_counter() - t0)


def warm_up(model, x, y):
    """One input gradient: in this PyTorch (1.13, Debian) a forward under no_grad ran 5-17x faster after the
    process's first backward pass than before it (measured on the ResNet of the bench), so time it after one."""
    xr = x.clone().requires_grad_(True)
    torch.autograd.grad(nn.functional.cross_entropy(model(xr), y), xr)


def rates(model, x, y, s):
    b = x[:s['batch']], y[:s['batch']]
    warm_up(model, *b)
    with torch.no_grad():
        forward = per_second(lambda: model(b[0]).argmax(1), s['batch'], s['seconds'])
    if torchattacks is not None:
        pgd = torchattacks.PGD(model, eps=0.3, alpha=s['stepSize'], steps=s['rateSteps'], random_start=True)
    else:
        pgd = (lambda x_, y_: own_pgd(model, x_, y_, 0.3, s['rateSteps'], s['stepSize']))
    return {'forward': forward, 'pgd': per_second(lambda: pgd(*b), s['batch'] * s['rateSteps'], s['seconds'])}


def audit(models, x, y, s):
    """The standard audit; returns (seconds, accuracy per variant and attack@eps)."""
    acc, t0, bs = {}, time.perf_counter(), s['auditBatch']
    for v, model in models.items():
        with torch.no_grad():
            acc[v] = {'clean': sum((model(x[i:i + bs]).argmax(1) == y[i:i + bs]).sum().item() for i in range(0, len(y), bs)) / len(y)}
        for eps in s['epsilons']:
            for name, attack in make_attacks(model, eps, s).items():
                if name not in s['attacks']:
                    continue
                correct = 0
                for i in range(0, len(y), bs):
                    adv = attack(x[i:i + bs], y[i:i + bs])
                    with torch.no_grad():
                        correct += (model(adv).argmax(1) == y[i:i + bs]).sum().item()
                acc[v][f'{name}@{eps}'] = correct / len(y)
    return time.perf_counter() - t0, acc


def logits_check(model, x, engine):
    """max |torch - engine| / max |engine| over the engine's logits of the first inputs."""
    with torch.no_grad():
        z = model(x[:len(engine)])
    e = torch.from_numpy(engine)
    return ((z - e).abs().max() / e.abs().max().clamp(min=1e-30)).item()


def layout(model, x, y, s):
    """PyTorch's faster memory format for this model's PGD step: NCHW (contiguous) or NHWC (channels_last). On this
    Debian PyTorch 1.13 (oneDNN 2.6, AVX2) channels_last made the shipped CNN's PGD step up to 10x faster than NCHW, so
    taking NCHW alone would compare the engine with PyTorch below its best. A 2-second PGD trial at one thread
    picks; the model and inputs are then converted and everything below runs in that format."""
    torch.set_num_threads(1)
    b = x[:s['batch']], y[:s['batch']]
    trial = {}
    for name, fmt in (('contiguous', torch.contiguous_format), ('channels_last', torch.channels_last)):
        m, xb = model.to(memory_format=fmt), b[0].contiguous(memory_format=fmt)
        warm_up(m, xb, b[1])
        trial[name] = per_second(lambda: own_pgd(m, xb, b[1], 0.3, 2, s['stepSize']), s['batch'] * 2, 2)
    print(f"torch {s['model']}: PGD trial, image-steps/s by memory format {json.dumps({k: round(v) for k, v in trial.items()})}",
          file=sys.stderr, flush=True)
    return max(trial, key=trial.get), trial


def main():
    graph = json.load(open(sys.argv[1]))
    data = np.load(sys.argv[2])
    s = json.load(open(sys.argv[3]))
    torch.manual_seed(s['seed'])
    np.random.seed(s['seed'])
    x = torch.from_numpy(data['x']).permute(0, 3, 1, 2).contiguous()
    y = torch.from_numpy(data['y'].astype(np.int64))
    weights = lambda v: {key: data[f'{v}__w{i}'] for i, key in enumerate(s['weightKeys'])}  # noqa: E731
    models = {v: GraphNet(graph, weights(v)).eval() for v in s['variants']}
    # Attacks need dL/dx only: frozen weights keep autograd from computing weight gradients (the engine computes none).
    for m in models.values():
        m.requires_grad_(False)
    rel = logits_check(models['float'], x, data['logits'])
    print(f"torch {s['model']}: logits agree with the engine's to {rel:.1e} (max |diff| / max |logit|, "
          f"{len(data['logits'])} inputs)", file=sys.stderr, flush=True)
    if not rel <= s['logitsTolerance']:
        sys.exit(f"expected the PyTorch logits of {s['model']} within {s['logitsTolerance']} of the engine's, got {rel:.2e}")
    best, trial = layout(models['float'], x, y, s)
    fmt = torch.channels_last if best == 'channels_last' else torch.contiguous_format
    models = {v: m.to(memory_format=fmt) for v, m in models.items()}
    x = x.contiguous(memory_format=fmt)
    out = {'torch': torch.__version__, 'torchattacks': torchattacks.__version__ if torchattacks else None,
           'rates': {}, 'audit': {}, 'accuracy': None, 'logitsRelDiff': rel, 'layout': best, 'layoutTrial': trial}
    for t in s['threads']:
        torch.set_num_threads(t)
        out['rates'][str(t)] = rates(models['float'], x, y, s)
        print(f"torch {s['model']} {t} thread(s): forward {out['rates'][str(t)]['forward']:.0f} img/s, "
              f"PGD {out['rates'][str(t)]['pgd']:.0f} img*steps/s", file=sys.stderr, flush=True)
        if s['audit']:
            torch.manual_seed(s['seed'])
            seconds, acc = audit(models, x[:s['samples']], y[:s['samples']], s)
            out['audit'][str(t)] = seconds
            out['accuracy'] = acc
            print(f"torch {s['model']} {t} thread(s): audit {seconds:.1f} s", file=sys.stderr, flush=True)
    out['maxRssBytes'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    json.dump(out, open(sys.argv[4], 'w'), indent=1)


if __name__ == '__main__':
    main()
