"""Round trip of Weightscope's exports through PyTorch (run with Debian's /usr/bin/python3: torch 1.13,
numpy 1.24).

Every export kind (aligned, merged, interpolated; .pt, safetensors, .npz) of a checkpoint that PyTorch
wrote must load straight back into the model that wrote it, with load_state_dict(strict=True), under the
source's tensor names, shapes, layout ([out, in], or Keras [in, out]) and dtype.

  /usr/bin/python3 scripts/export_roundtrip.py            # sources, exports (via the CLI), check, record
  /usr/bin/python3 scripts/export_roundtrip.py --sources  # only the PyTorch-made sources
  /usr/bin/python3 scripts/export_roundtrip.py --fresh D  # exports of the committed sources into D, checked
  /usr/bin/python3 scripts/export_roundtrip.py --check D  # check the exports listed in D/exports.json

Sources and the exports Weightscope made from them are committed in tests/fixtures/roundtrip, with
exports/result.json, the record of the last check; tests/export-roundtrip.test.ts runs --fresh on a
temporary folder.
"""
import json
import os
import subprocess
import sys

import numpy as np

from st_spec import read as st_read, write as st_write

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..")
FIX = os.path.join(ROOT, "tests", "fixtures", "roundtrip")

# (export file, kind, source, CLI arguments after the command; {D} is the export folder, {S} the sources)
EXPORTS = [
    ("seq_aligned.pt", "align", "seq_a.pt", ["align", "{S}/seq_a.pt", "{S}/seq_b.pt", "--out", "{D}/seq_aligned.pt"]),
    ("seq_aligned.safetensors", "align", "seq_a.pt", ["align", "{S}/seq_a.pt", "{S}/seq_b.pt", "--out", "{D}/seq_aligned.safetensors"]),
    ("seq_aligned.npz", "align", "seq_a.pt", ["align", "{S}/seq_a.pt", "{S}/seq_b.pt", "--out", "{D}/seq_aligned.npz"]),
    ("seq_merged.pt", "merge", "seq_a.pt", ["merge", "{S}/seq_a.pt", "{S}/seq_b.pt", "--align-to", "{S}/seq_a.pt", "--out", "{D}/seq_merged.pt"]),
    ("seq_interp.pt", "interpolate", "seq_a.pt", ["interpolate", "{S}/seq_a.pt", "{S}/seq_b.pt", "--alpha", "0", "--out", "{D}/seq_interp.pt"]),
    ("named_aligned.pt", "align", "named_a.pt", ["align", "{S}/named_a.pt", "{S}/named_b.pt", "--activation", "tanh", "--out", "{D}/named_aligned.pt"]),
    ("named_merged.safetensors", "merge", "named_a.pt", ["merge", "{S}/named_a.pt", "{S}/named_b.pt", "--align-to", "{S}/named_a.pt", "--activation", "tanh", "--out", "{D}/named_merged.safetensors"]),
    ("f64_aligned.pt", "align", "f64_a.pt", ["align", "{S}/f64_a.pt", "{S}/f64_b.pt", "--out", "{D}/f64_aligned.pt"]),
    ("f16_interp.pt", "interpolate", "f16_a.pt", ["interpolate", "{S}/f16_a.pt", "{S}/f16_b.pt", "--alpha", "1", "--out", "{D}/f16_interp.pt"]),
    ("nobias_aligned.pt", "align", "nobias_a.pt", ["align", "{S}/nobias_a.pt", "{S}/nobias_b.pt", "--out", "{D}/nobias_aligned.pt"]),
    ("keras_aligned.safetensors", "align", "keras_a.safetensors", ["align", "{S}/keras_a.safetensors", "{S}/keras_b.safetensors", "--out", "{D}/keras_aligned.safetensors"]),
    ("keras_merged.npz", "merge", "keras_a.safetensors", ["merge", "{S}/keras_a.safetensors", "{S}/keras_b.safetensors", "--out", "{D}/keras_merged.npz"]),
    # Trained further from an imported model: fine-tuning keeps the base file's names and dtype.
    ("clf_finetuned.pt", "fine-tune", "clf_a.pt", ["train-mlp", "--data", "{S}/clf_data.npz", "--init-from", "{S}/clf_a.pt", "--epochs", "2", "--batch", "16", "--out", "{D}/clf_finetuned.pt"]),
]



def models():
    """The source model classes, by source file stem prefix."""
    import torch
    from torch import nn

    class Named(nn.Module):
        """Attribute names, as most research code has them: fc1, fc2, head."""

        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(2, 12)
            self.fc2 = nn.Linear(12, 12)
            self.head = nn.Linear(12, 3)

        def forward(self, x):
            return self.head(torch.tanh(self.fc2(torch.tanh(self.fc1(x)))))

    def seq(dtype=torch.float32, bias=True):
        return nn.Sequential(nn.Linear(2, 16, bias=bias), nn.ReLU(), nn.Linear(16, 16, bias=bias), nn.ReLU(),
                             nn.Linear(16, 1, bias=bias)).to(dtype)

    class Clf(nn.Module):
        """A classifier with its own attribute names."""

        def __init__(self):
            super().__init__()
            self.hidden = nn.Linear(6, 16)
            self.logits = nn.Linear(16, 3)

        def forward(self, x):
            return self.logits(torch.relu(self.hidden(x)))

    return {
        "clf": Clf,
        "seq": lambda: seq(),
        "named": Named,
        "f64": lambda: seq(torch.float64),
        "f16": lambda: seq(torch.float16),
        "nobias": lambda: seq(bias=False),
    }


def sources():
    import torch

    os.makedirs(FIX, exist_ok=True)
    make = models()
    for stem, seed in [("a", 1), ("b", 2)]:
        for kind, ctor in make.items():
            torch.manual_seed(seed * 100 + len(kind))
            torch.save(ctor().state_dict(), os.path.join(FIX, f"{kind}_{stem}.pt"))
        # A Keras-style checkpoint: Dense kernels [in, out], named as Keras names them.
        torch.manual_seed(seed * 1000)
        m = make["seq"]()
        arrays = {}
        for i, k in enumerate([0, 2, 4]):
            arrays[f"dense_{i + 1}/kernel"] = m[k].weight.detach().numpy().T.copy()
            arrays[f"dense_{i + 1}/bias"] = m[k].bias.detach().numpy().copy()
        st_write(os.path.join(FIX, f"keras_{stem}.safetensors"), arrays)
    # Data to fine-tune the classifier on: 3 classes of 6-D points, 20 each.
    rng = np.random.default_rng(5)
    y = np.repeat(np.arange(3), 20).astype(np.int64)
    x = (rng.normal(size=(60, 6)) + np.eye(3, 6)[y] * 2).astype(np.float32)
    np.savez(os.path.join(FIX, "clf_data.npz"), x=x, y=y)
    print("wrote sources to", os.path.relpath(FIX, ROOT))


def load_any(path):
    """An export as {name: numpy array}, read the way a person would read it."""
    import torch

    if path.endswith(".pt"):
        sd = torch.load(path, weights_only=True)
        assert type(sd).__name__ == "OrderedDict", type(sd)
        return {k: v.numpy() for k, v in sd.items()}, sd
    if path.endswith(".npz"):
        z = np.load(path)
        arrays = {k: z[k] for k in z.files}
    else:
        arrays, _ = st_read(path)
    return arrays, {k: torch.from_numpy(np.array(v)) for k, v in arrays.items()}


def check(folder):
    """Loads every export listed in folder/exports.json into the source's model (strict), or, for the
    Keras-layout source, compares names, shapes and dtypes with it. Writes folder/result.json."""
    import torch

    listing = json.load(open(os.path.join(folder, "exports.json")))
    make = models()
    results = []
    for e in listing:
        path = os.path.join(folder, e["file"])
        src_path = os.path.join(e["sourceDir"] if os.path.isabs(e["sourceDir"]) else os.path.join(ROOT, e["sourceDir"]), e["source"])
        arrays, state = load_any(path)
        src, _ = load_any(src_path)
        assert list(arrays) == list(src), (e["file"], list(arrays), list(src))
        for k in src:
            want = src[k].dtype
            assert arrays[k].shape == src[k].shape, (e["file"], k, arrays[k].shape, src[k].shape)
            assert arrays[k].dtype == want, (e["file"], k, arrays[k].dtype, src[k].dtype)
        row = {"file": e["file"], "kind": e["kind"], "source": e["source"], "keys": list(arrays)}
        if "equals" in e:
            same, _ = load_any(os.path.join(os.path.dirname(src_path), e["equals"]))
            assert all(np.array_equal(arrays[k], same[k]) for k in same), (e["file"], e["equals"])
            row["equals"] = e["equals"]
        kind = e["source"].split("_")[0]
        if kind in make:
            model = make[kind]()
            model.load_state_dict(state, strict=True)  # the point: it loads straight back
            row["loadStateDictStrict"] = True
            if e["kind"] == "fine-tune":
                # Training moved the weights away from the base it loaded from.
                base = make[kind]()
                base.load_state_dict(torch.load(src_path, weights_only=True), strict=True)
                moved = max((p - q).abs().max().item() for p, q in zip(model.parameters(), base.parameters()))
                assert moved > 0, e["file"]
                row["maxChangeFromBase"] = moved
            if e["kind"] == "align":
                # Aligning B to A changes nothing B computes (a permutation of hidden units).
                b = make[kind]()
                b.load_state_dict(torch.load(src_path.replace("_a.", "_b."), weights_only=True), strict=True)
                x = (torch.rand(64, 2, generator=torch.Generator().manual_seed(0)) * 2 - 1).to(next(model.parameters()).dtype)
                with torch.no_grad():
                    diff = (model(x) - b(x)).abs().max().item()
                tol = 1e-2 if kind == "f16" else 1e-5
                assert diff < tol, (e["file"], diff)
                row["maxOutputDiffToB"] = diff
        else:
            row["layout"] = "keras [in, out]"
        results.append(row)
        print("ok", e["file"])
    with open(os.path.join(folder, "result.json"), "w") as f:
        json.dump({"torch": torch.__version__, "numpy": np.__version__, "exports": results}, f, indent=1)
        f.write("\n")
    print(f"all {len(results)} exports load back")


def exports(out):
    """Runs the CLI to make every export into `out` (committed: tests/fixtures/roundtrip/exports)."""
    os.makedirs(out, exist_ok=True)
    cli = os.path.join(ROOT, "bin", "weightscope.js")
    listing = []
    for file, kind, source, argv in EXPORTS:
        args = [a.replace("{S}", FIX).replace("{D}", out) for a in argv]
        subprocess.run(["node", cli, *args, "--json"], check=True, stdout=subprocess.DEVNULL)
        row = {"file": file, "kind": kind, "source": source, "sourceDir": "tests/fixtures/roundtrip"}
        if kind == "interpolate":  # alpha 0 is A and alpha 1 is B, bit for bit
            row["equals"] = source if "--alpha" in argv and argv[argv.index("--alpha") + 1] == "0" else source.replace("_a.", "_b.")
        listing.append(row)
    with open(os.path.join(out, "exports.json"), "w") as f:
        json.dump(listing, f, indent=1)
        f.write("\n")
    return out


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        check(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "--fresh":
        check(exports(sys.argv[2]))
    elif len(sys.argv) == 2 and sys.argv[1] == "--sources":
        sources()
    else:
        sources()
        check(exports(os.path.join(FIX, "exports")))
