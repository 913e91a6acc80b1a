"""Builds the zoo fixtures in tests/fixtures/zoo with Debian's /usr/bin/python3 (torch 1.13,
numpy 1.24), the way a person would write a zoo in a few lines of PyTorch/NumPy, and checks zoo
files Weightscope wrote.

  /usr/bin/python3 scripts/make_zoo_fixtures.py             # write the fixtures + probe.json
  /usr/bin/python3 scripts/make_zoo_fixtures.py --check F…   # open Weightscope's zoo files, print JSON

python3-safetensors is not in Debian, so safetensors files are written and read with a small
parser that follows the format's spec (u64 LE header length, JSON header, contiguous data).
"""
import json
import os
import sys
import zipfile

import numpy as np
import torch

from st_spec import read as st_read, write as st_write

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "zoo")


def siren(widths, w0=30.0):
    """A SIREN with Sitzmann et al.'s initialisation, as torch.nn.Linear layers."""
    layers = []
    for i in range(len(widths) - 1):
        lin = torch.nn.Linear(widths[i], widths[i + 1])
        bound = 1 / widths[i] if i == 0 else (6 / widths[i]) ** 0.5 / w0
        torch.nn.init.uniform_(lin.weight, -bound, bound)
        layers.append(lin)
    return torch.nn.ModuleList(layers)


def siren_forward(layers, x, w0=30.0):
    h = x
    for i, lin in enumerate(layers):
        h = lin(h)
        if i < len(layers) - 1:
            h = torch.sin(w0 * h)
    return h


def stacked(models):
    """The zoo layout: every state_dict tensor stacked over members."""
    sds = [{k: v.detach() for k, v in m.state_dict().items()} for m in models]
    return {f"layers.{k}": torch.stack([sd[k] for sd in sds]).numpy() for k in sds[0]}


def add_meta(path, meta):
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("meta.json", json.dumps(meta))


def make():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    widths = [2, 8, 8, 1]
    models = [siren(widths) for _ in range(6)]
    zoo = stacked(models)
    labels = np.array([0, 1, 2, 0, 1, 2], dtype=np.int64)
    split = np.array([0, 0, 0, 1, 2, 2], dtype=np.uint8)
    psnr = np.linspace(30, 35, 6).astype(np.float32)
    meta = {"arch": {"widths": widths, "activation": "sine", "w0": 30}, "inr": {"height": 8, "width": 8, "channels": 1},
            "source": "make_zoo_fixtures.py", "labelNames": ["zero", "one", "two"]}

    np.savez(os.path.join(OUT, "siren_zoo.npz"), labels=labels, split=split, psnr=psnr, **zoo)
    add_meta(os.path.join(OUT, "siren_zoo.npz"), meta)
    np.savez_compressed(os.path.join(OUT, "siren_zoo_plain.npz"), labels=labels, **zoo)
    st_write(os.path.join(OUT, "siren_zoo.safetensors"), {**zoo, "labels": labels, "split": split, "psnr": psnr},
             {"weightscope.zoo": json.dumps(meta)})

    coords = torch.tensor([[-1.0, -1.0], [-0.5, 0.25], [0.0, 0.0], [0.3, -0.7], [1.0, 1.0]])
    probe = {"coords": coords.tolist(),
             "outputs": [siren_forward(m, coords).detach().squeeze(1).tolist() for m in models]}
    with open(os.path.join(OUT, "probe.json"), "w") as f:
        json.dump(probe, f)

    # Bad zoos: each refused with its own reason.
    bad = dict(zoo)
    bad["layers.1.weight"] = np.zeros((6, 8, 4), np.float32)
    np.savez(os.path.join(OUT, "bad_mixed.npz"), labels=labels, **bad)
    bad = dict(zoo)
    bad["layers.2.weight"] = bad["layers.2.weight"][:5]
    bad["layers.2.bias"] = bad["layers.2.bias"][:5]
    np.savez(os.path.join(OUT, "bad_member_count.npz"), labels=labels, **bad)
    np.savez(os.path.join(OUT, "bad_no_labels.npz"), **zoo)
    np.savez(os.path.join(OUT, "bad_one_member.npz"), labels=labels[:1], **{k: v[:1] for k, v in zoo.items()})
    bad = dict(zoo)
    bad["layers.1.weight"] = bad["layers.1.weight"].copy()
    bad["layers.1.weight"][4, 2, 3] = np.nan
    np.savez(os.path.join(OUT, "bad_nan.npz"), labels=labels, **bad)
    np.savez(os.path.join(OUT, "bad_float_labels.npz"), labels=labels.astype(np.float32), **zoo)
    np.savez(os.path.join(OUT, "bad_split.npz"), labels=labels, split=np.array([0, 1, 2, 3, 0, 0]), **zoo)
    np.savez(os.path.join(OUT, "bad_meta.npz"), labels=labels, **zoo)
    add_meta(os.path.join(OUT, "bad_meta.npz"), {"arch": {"widths": [2, 16, 16, 1], "activation": "sine"}})


def check(paths):
    """Opens Weightscope's zoo files with numpy (and the spec parser), prints what it finds."""
    report = {}
    for p in paths:
        if p.endswith(".npz"):
            z = np.load(p)
            # np.load lists meta.json too (as raw bytes); the arrays are the .npy entries.
            arrays = {k: z[k] for k in z.files if k != "meta.json"}
            meta = json.loads(zipfile.ZipFile(p).read("meta.json")) if "meta.json" in zipfile.ZipFile(p).namelist() else {}
        else:
            arrays, md = st_read(p)
            meta = json.loads(md["weightscope.zoo"]) if "weightscope.zoo" in md else {}
        widths = meta.get("arch", {}).get("widths")
        # Run member 0 in PyTorch to show the file holds working SIRENs, not just bytes.
        n_layers = len([k for k in arrays if k.endswith(".weight")])
        layers = []
        for i in range(n_layers):
            lin = torch.nn.Linear(arrays[f"layers.{i}.weight"].shape[2], arrays[f"layers.{i}.weight"].shape[1])
            lin.weight.data = torch.from_numpy(np.array(arrays[f"layers.{i}.weight"][0]))
            lin.bias.data = torch.from_numpy(np.array(arrays[f"layers.{i}.bias"][0]))
            layers.append(lin)
        coords = torch.tensor([[-1.0, -1.0], [0.0, 0.0], [0.5, -0.25]])
        out = siren_forward(layers, coords, meta.get("arch", {}).get("w0", 30)).detach().squeeze(1).tolist()
        report[os.path.basename(p)] = {
            "arrays": {k: {"dtype": str(v.dtype), "shape": list(v.shape)} for k, v in arrays.items()},
            "labels": arrays["labels"].tolist(),
            "split": arrays["split"].tolist() if "split" in arrays else None,
            "widths": widths,
            "member0": out,
        }
    print(json.dumps(report))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--check":
        check(sys.argv[2:])
    else:
        make()
