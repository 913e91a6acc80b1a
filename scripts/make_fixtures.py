"""Builds the checkpoint fixtures in tests/fixtures/checkpoints (run with Debian's /usr/bin/python3:
torch 1.13, numpy 1.24) and rewrites their entries in tests/fixtures/manifest.json.

Every model is saved the way people save them (torch.save(state_dict) in the zip format, np.savez,
np.savez_compressed, a spec-following safetensors writer since python3-safetensors is not in
Debian), with probe inputs and PyTorch's outputs so tests can check Weightscope computes the same
function. Hostile files are built byte by byte and never loaded.

  /usr/bin/python3 scripts/make_fixtures.py            # write fixtures + manifest
  /usr/bin/python3 scripts/make_fixtures.py --check DIR # verify files Weightscope wrote (see tests)
  /usr/bin/python3 scripts/make_fixtures.py --datasets  # only the dataset .npz files (tests/fixtures/datasets)
"""
import io
import json
import math
import os
import pickle
import struct
import sys
import zipfile

import numpy as np

from st_spec import read as st_read, write as st_write

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")
OUT = os.path.join(ROOT, "checkpoints")
REL = "checkpoints"


def main():
    import torch
    from torch import nn

    torch.manual_seed(0)
    np.random.seed(0)
    os.makedirs(os.path.join(OUT, "probes"), exist_ok=True)
    os.makedirs(os.path.join(OUT, "sharded"), exist_ok=True)
    entries = []

    def probe(name, model, n_in, rows=8, dtype=torch.float32):
        x = torch.rand(rows, n_in, dtype=torch.float64) * 2 - 1
        with torch.no_grad():
            y = model(x.to(dtype))
        data = {"n": rows, "x": x.to(dtype).double().flatten().tolist(), "y": y.double().flatten().tolist()}
        with open(os.path.join(OUT, "probes", name + ".json"), "w") as f:
            json.dump(data, f)
        return f"{REL}/probes/{name}.json"

    def add(files, **kw):
        entries.append({"files": [f"{REL}/{f}" for f in files], **kw})

    sd_np = lambda sd: {k: v.detach().numpy() for k, v in sd.items()}

    # 1. ReLU MLP as nn.Sequential: keys 0.weight, 2.weight, 4.weight.
    mlp = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1))
    sd = mlp.state_dict()
    torch.save(sd, os.path.join(OUT, "mlp_relu.pt"))
    p = probe("mlp_relu", mlp, 2)
    relu = {"widths": [2, 16, 16, 1], "activation": "relu", "probe": p}
    add(["mlp_relu.pt"], format="pytorch", tensors=6, **relu)
    np.savez(os.path.join(OUT, "mlp_relu.npz"), **sd_np(sd))
    add(["mlp_relu.npz"], format="npz", tensors=6, **relu)
    np.savez_compressed(os.path.join(OUT, "mlp_relu_compressed.npz"), **sd_np(sd))
    add(["mlp_relu_compressed.npz"], format="npz", tensors=6, **relu)
    with open(os.path.join(OUT, "mlp_relu.json"), "w") as f:
        json.dump({k: v.tolist() for k, v in sd.items()}, f)
    add(["mlp_relu.json"], format="json", tensors=6, **relu)
    w0 = sd["0.weight"].numpy()
    np.save(os.path.join(OUT, "layer0.npy"), w0)
    np.save(os.path.join(OUT, "layer0_fortran.npy"), np.asfortranarray(w0))
    np.save(os.path.join(OUT, "layer0_bigendian.npy"), w0.astype(">f4"))
    for f in ["layer0.npy", "layer0_fortran.npy", "layer0_bigendian.npy"]:
        add([f], format="npy", tensors=1, widths=[2, 16], sameAs=f"{REL}/layer0.npy")

    # float16 and float64 variants; probes from the rounded (or double) weights.
    half = nn.Sequential(*[m for m in mlp]).half()
    torch.save(half.state_dict(), os.path.join(OUT, "mlp_relu_f16.pt"))
    back = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1))
    back.load_state_dict({k: v.float() for k, v in half.state_dict().items()})
    add(["mlp_relu_f16.pt"], format="pytorch", tensors=6, widths=[2, 16, 16, 1], activation="relu", probe=probe("mlp_relu_f16", back, 2))
    mlp64 = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1)).double()
    torch.save(mlp64.state_dict(), os.path.join(OUT, "mlp_relu_f64.pt"))
    add(["mlp_relu_f64.pt"], format="pytorch", tensors=6, widths=[2, 16, 16, 1], activation="relu", probe=probe("mlp_relu_f64", mlp64, 2, dtype=torch.float64))

    # 2. SIREN keyed seq.N.weight as DWSNets' INR datasets store it (Sitzmann et al. 2020 init).
    class Siren(nn.Module):
        def __init__(self, widths, w0=30.0):
            super().__init__()
            self.w0 = w0
            self.seq = nn.ModuleList([nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:])])
            with torch.no_grad():
                for i, l in enumerate(self.seq):
                    bound = 1 / l.in_features if i == 0 else math.sqrt(6 / l.in_features) / w0
                    l.weight.uniform_(-bound, bound)

        def forward(self, x):
            for l in self.seq[:-1]:
                x = torch.sin(self.w0 * l(x))
            return self.seq[-1](x)

    siren = Siren([2, 32, 32, 1])
    ssd = siren.state_dict()
    torch.save(ssd, os.path.join(OUT, "siren.pt"))
    sp = probe("siren", siren, 2)
    sine = {"widths": [2, 32, 32, 1], "activation": "sine", "w0": 30, "probe": sp}
    add(["siren.pt"], format="pytorch", tensors=6, **sine)
    st_write(os.path.join(OUT, "siren.safetensors"), sd_np(ssd), {"format": "pt"})
    add(["siren.safetensors"], format="safetensors", tensors=6, **sine)
    # bfloat16 in safetensors, stored as the top 16 bits of float32 (round to nearest even by torch).
    bf = {k: v.to(torch.bfloat16) for k, v in ssd.items()}
    st_write(os.path.join(OUT, "siren_bf16.safetensors"),
             {k: {"dtype": "BF16", "data": v.view(torch.int16).numpy().view(np.uint16)} for k, v in bf.items()})
    sb = Siren([2, 32, 32, 1])
    sb.load_state_dict({k: v.float() for k, v in bf.items()})
    add(["siren_bf16.safetensors"], format="safetensors", tensors=6, widths=[2, 32, 32, 1], activation="sine", w0=30, probe=probe("siren_bf16", sb, 2))
    # Sharded: index + two shards (HF transformers layout).
    keys = list(ssd)
    shards = {"model-00001-of-00002.safetensors": keys[:3], "model-00002-of-00002.safetensors": keys[3:]}
    for fname, ks in shards.items():
        st_write(os.path.join(OUT, "sharded", fname), {k: ssd[k].numpy() for k in ks})
    index = {"metadata": {"total_size": sum(v.numel() * 4 for v in ssd.values())},
             "weight_map": {k: f for f, ks in shards.items() for k in ks}}
    with open(os.path.join(OUT, "sharded", "model.safetensors.index.json"), "w") as f:
        json.dump(index, f, indent=2)
    add(["sharded/model.safetensors.index.json", *[f"sharded/{f}" for f in shards]], format="safetensors-sharded", tensors=6, **sine)

    # 3. A classifier 784→32→10 (MNIST-shaped).
    clf = nn.Sequential(nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10))
    torch.save(clf.state_dict(), os.path.join(OUT, "classifier.pt"))
    add(["classifier.pt"], format="pytorch", tensors=4, widths=[784, 32, 10], activation="relu", probe=probe("classifier", clf, 784, rows=4))

    # Views: a transposed (strided) weight and tensors sharing one storage at offsets.
    strided = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))
    flat = torch.randn(16 + 16 + 1) * 0.3
    k0 = torch.randn(2, 16) * 0.5
    views = {"0.weight": k0.t(), "0.bias": flat[:16], "2.weight": flat[16:32].view(1, 16), "2.bias": flat[32:]}
    assert not views["0.weight"].is_contiguous() and views["2.bias"].storage_offset() == 32
    torch.save(views, os.path.join(OUT, "views.pt"))
    strided.load_state_dict({k: v.clone() for k, v in views.items()})
    add(["views.pt"], format="pytorch", tensors=4, widths=[2, 16, 1], activation="relu", probe=probe("views", strided, 2))

    # 4. Files that must be refused.
    def torch_zip(path, pkl, folder):
        with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
            z.writestr(f"{folder}/data.pkl", pkl)
            z.writestr(f"{folder}/version", "3\n")

    # GLOBAL 'os system' + REDUCE: what `pickle.loads` would turn into os.system("echo pwned").
    torch_zip(os.path.join(OUT, "hostile.pt"), b"\x80\x02cos\nsystem\nq\x00X\x0a\x00\x00\x00echo pwnedq\x01\x85q\x02Rq\x03.", "hostile")
    add(["hostile.pt"], error="PickleError", stage="read", message="os.system")
    # Protocol 4 STACK_GLOBAL builtins.eval hidden after a legitimate-looking OrderedDict.
    p4 = (b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00" b"\x8c\x0bcollections\x8c\x0bOrderedDict\x93)R"
          b"\x8c\x08builtins\x8c\x04eval\x93\x8c\x0bprint('hi')\x85R0.")
    torch_zip(os.path.join(OUT, "hostile_eval.pt"), p4, "archive")
    add(["hostile_eval.pt"], error="PickleError", stage="read", message="builtins.eval")
    torch.save(sd, os.path.join(OUT, "legacy.pt"), _use_new_zipfile_serialization=False)
    add(["legacy.pt"], error="PytorchError", stage="read", message="legacy")
    st_write(os.path.join(OUT, "int_weights.safetensors"),
             {"0.weight": np.arange(32, dtype=np.int64).reshape(16, 2), "0.bias": np.zeros(16, dtype=np.int64)})
    add(["int_weights.safetensors"], format="safetensors", tensors=2, error="ArchitectureInferenceError", stage="architecture", message="I64")
    np.savez(os.path.join(OUT, "no_mlp.npz"), **{"0.weight": np.ones((16, 2), np.float32), "1.weight": np.ones((5, 7), np.float32)})
    add(["no_mlp.npz"], format="npz", tensors=2, error="ArchitectureInferenceError", stage="architecture", message="form no MLP")
    conv = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(8, 1))
    torch.save(conv.state_dict(), os.path.join(OUT, "conv.pt"))
    add(["conv.pt"], format="pytorch", tensors=4, error="ArchitectureInferenceError", stage="architecture", message="2-D")
    h = json.dumps({"w": {"dtype": "F32", "shape": [100000, 100000], "data_offsets": [0, 40000000000]}}).encode()
    with open(os.path.join(OUT, "huge_claim.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"\0" * 64)
    add(["huge_claim.safetensors"], error="SafetensorsError", stage="read", message="more elements")
    with open(os.path.join(OUT, "huge_header.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", 0x7FFFFFFF) + b'{"a": 1}')
    add(["huge_header.safetensors"], error="SafetensorsError", stage="read", message="100 MB")
    with open(os.path.join(OUT, "object_array.npy"), "wb") as f:
        np.save(f, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    add(["object_array.npy"], error="NumpyError", stage="read", message="pickles")
    with open(os.path.join(OUT, "not_a_checkpoint.txt"), "w") as f:
        f.write("hello, these are not weights\n")
    add(["not_a_checkpoint.txt"], error="CheckpointError", stage="read", message="Supported")

    for e in entries:
        e["by"] = "make_fixtures.py"
    path = os.path.join(ROOT, "manifest.json")
    old = json.load(open(path))["fixtures"] if os.path.exists(path) else []
    kept = [e for e in old if e.get("by") != "make_fixtures.py"]
    with open(path, "w") as f:
        json.dump({"fixtures": entries + kept}, f, indent=1)
        f.write("\n")
    print(f"wrote {len(entries)} fixtures")
    datasets()


def datasets():
    """Dataset .npz files (x, y) for scoring classifiers, good and bad, in tests/fixtures/datasets.
    good.npz fits classifier.pt (784 → 32 → 10); good.json holds PyTorch's cross-entropy and
    accuracy of classifier.pt on it, so tests can check the engine scores the same."""
    import torch
    from torch import nn

    out = os.path.join(ROOT, "datasets")
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(7)
    n = 32
    x = (rng.integers(0, 256, size=(n, 784)) / 255).astype(np.float32)
    y = rng.integers(0, 10, size=n).astype(np.int64)
    np.savez(os.path.join(out, "good.npz"), x=x, y=y)
    clf = nn.Sequential(nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10))
    clf.load_state_dict(torch.load(os.path.join(OUT, "classifier.pt")))
    with torch.no_grad():
        logits = clf(torch.from_numpy(x))
        loss = nn.functional.cross_entropy(logits.double(), torch.from_numpy(y)).item()
        acc = (logits.argmax(1) == torch.from_numpy(y)).double().mean().item()
    with open(os.path.join(out, "good.json"), "w") as f:
        json.dump({"n": n, "inputs": 784, "classes": int(y.max()) + 1, "loss": loss, "accuracy": acc}, f, indent=1)
    # A 4-input, 3-class set: float64 x and int32 y, deflated (np.savez_compressed).
    small_x = rng.normal(size=(10, 4))
    np.savez_compressed(os.path.join(out, "small_compressed.npz"), x=small_x, y=np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 2], np.int32))
    bad = {
        "missing_y.npz": {"x": x[:4]},
        "x_3d.npz": {"x": x[:4].reshape(4, 28, 28), "y": y[:4]},
        "rows_mismatch.npz": {"x": x[:4], "y": y[:3]},
        "nan.npz": {"x": np.where(np.arange(4 * 784).reshape(4, 784) == 1000, np.nan, x[:4]).astype(np.float32), "y": y[:4]},
        "negative_label.npz": {"x": x[:4], "y": np.array([0, 3, -1, 2], np.int64)},
        "big_label.npz": {"x": x[:4], "y": np.array([0, 3, 12, 2], np.int64)},
        "float_labels.npz": {"x": x[:4], "y": y[:4].astype(np.float64)},
        "int_x.npz": {"x": (x[:4] * 255).astype(np.uint8), "y": y[:4]},
    }
    for name, arrays in bad.items():
        np.savez(os.path.join(out, "bad_" + name), **arrays)
    print(f"wrote {3 + len(bad)} dataset files")


def check(folder):
    """Loads model.npz / model.safetensors that Weightscope wrote; compares with expected.json."""
    expected = json.load(open(os.path.join(folder, "expected.json")))
    npz = np.load(os.path.join(folder, "model.npz"))
    assert sorted(npz.files) == sorted(expected), (npz.files, list(expected))
    st, meta = st_read(os.path.join(folder, "model.safetensors"))
    try:  # the real library, where installed (pip install safetensors)
        from safetensors.numpy import load_file
        st = load_file(os.path.join(folder, "model.safetensors"))
    except ImportError:
        pass
    json.loads(meta["weightscope.arch"])
    for name, e in expected.items():
        want = np.array(e["data"], dtype=np.float32).reshape(e["shape"])
        for got in (npz[name], st[name]):
            assert got.dtype == np.float32 and got.shape == want.shape, (name, got.dtype, got.shape)
            assert np.array_equal(got, want), name
    print("ok")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        check(sys.argv[2])
    elif len(sys.argv) == 2 and sys.argv[1] == "--datasets":
        datasets()
    else:
        main()
