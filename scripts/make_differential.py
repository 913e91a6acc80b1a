"""Differential fixtures (issue #15): files NumPy and PyTorch write, and variants of them that a
hostile or careless writer could produce, each with the verdict of the reference reader and, when
it accepts, the values it reads. tests/differential.test.ts then checks that Weightscope accepts
exactly what the reference accepts, reading the same values, and refuses what it refuses.

Run with Debian's /usr/bin/python3 (numpy 1.24, torch 1.13):

  /usr/bin/python3 scripts/make_differential.py

References: numpy.load(path, allow_pickle=False) (every array of an .npz loaded), and
torch.load(path, weights_only=True) (the restricted unpickler PyTorch itself offers; Weightscope's
never runs code either). Where Weightscope refuses what the reference accepts ON PURPOSE (a dtype
it does not read, a dimension past its bounds), the case says so in `weightscope`, with the
message it must give.
"""
import io
import json
import math
import os
import struct
import zipfile
import zlib

import warnings

import numpy as np
import torch

warnings.filterwarnings("ignore", category=np.ComplexWarning)

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "differential")


def values_of(a):
    """Values as JSON: floats through float32 (what Weightscope holds), NaN/Inf as strings."""
    a = np.asarray(a)
    if a.dtype == np.bool_:
        return [int(v) for v in a.ravel()]
    if a.dtype.kind in "iu":
        return [int(v) for v in a.ravel()]
    out = []
    for v in a.astype(np.float32).ravel():
        v = float(v)
        out.append(v if math.isfinite(v) else ("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")))
    return out


def tensor_entry(a):
    a = np.asarray(a)
    return {"shape": list(a.shape), "values": values_of(a)}


def npy_bytes(header, data, version=(1, 0)):
    h = header.encode("utf8" if version == (3, 0) else "latin1")
    length = struct.pack("<H", len(h)) if version == (1, 0) else struct.pack("<I", len(h))
    return b"\x93NUMPY" + bytes(version) + length + h + data


def hdr(descr="<f4", shape=(2, 3), fortran=False):
    dims = ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "")
    return "{'descr': '%s', 'fortran_order': %s, 'shape': (%s), }\n" % (descr, fortran, dims)


def numpy_verdict(path):
    try:
        loaded = np.load(path, allow_pickle=False)
        if isinstance(loaded, np.lib.npyio.NpzFile):
            with loaded:
                tensors = {k: tensor_entry(loaded[k]) for k in loaded.files if k in [n[:-4] for n in loaded.zip.namelist() if n.endswith(".npy")]}
        else:
            tensors = {os.path.basename(path)[:-4]: tensor_entry(loaded)}
        return {"verdict": "accept", "tensors": tensors}
    except Exception as e:  # noqa: BLE001 - any refusal counts
        return {"verdict": "refuse", "reason": f"{type(e).__name__}: {str(e)[:160]}"}


def torch_verdict(path):
    try:
        sd = torch.load(path, weights_only=True)
        flat = {}

        def walk(d, prefix):
            for k, v in d.items():
                if isinstance(v, torch.Tensor):
                    flat[prefix + str(k)] = tensor_entry(v.detach().float().numpy() if v.is_floating_point() else v.numpy())
                elif isinstance(v, dict):
                    walk(v, prefix + str(k) + ".")

        if not isinstance(sd, dict):
            return {"verdict": "refuse", "reason": "not a dict"}
        for key in ("state_dict", "model_state_dict", "model"):
            if isinstance(sd.get(key), dict):
                sd = sd[key]
                break
        walk(sd, "")
        return {"verdict": "accept", "tensors": flat}
    except Exception as e:  # noqa: BLE001
        return {"verdict": "refuse", "reason": f"{type(e).__name__}: {str(e)[:160]}"}


CASES = []


def case(name, data, reference, weightscope=None):
    path = os.path.join(ROOT, name)
    with open(path, "wb") as f:
        f.write(data)
    v = numpy_verdict(path) if reference == "numpy" else torch_verdict(path)
    entry = {"file": name, "reference": reference, **v}
    if weightscope:
        entry["weightscope"] = weightscope
    CASES.append(entry)


def npy_cases():
    six = np.arange(1, 7, dtype="<f4").tobytes()
    case("plain.npy", npy_bytes(hdr(), six), "numpy")
    case("dup-shape.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'shape': (3, 2), }\n", six), "numpy")
    case("dup-descr.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'descr': '>f4', }\n", six), "numpy")
    case("dup-fortran.npy", npy_bytes("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), 'fortran_order': False}\n", six), "numpy")
    case("junk-after.npy", npy_bytes(hdr().rstrip("\n") + " junk\n", six), "numpy")
    case("second-dict.npy", npy_bytes(hdr().rstrip("\n") + " {}\n", six), "numpy")
    case("comment.npy", npy_bytes(hdr().rstrip("\n") + "  # written by hand\n", six), "numpy")
    case("no-trailing-comma.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}", six), "numpy")
    case("double-quotes.npy", npy_bytes('{"descr": "<f4", "fortran_order": False, "shape": (2, 3)}\n', six), "numpy")
    case("concat-strings.npy", npy_bytes("{'descr': '<f' '4', 'fortran_order': False, 'shape': (2, 3)}\n", six), "numpy")
    case("leading-space.npy", npy_bytes("   " + hdr(), six), "numpy")
    case("leading-newline.npy", npy_bytes("\n" + hdr(), six), "numpy")
    case("extra-key.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1}\n", six), "numpy")
    case("missing-key.npy", npy_bytes("{'descr': '<f4', 'shape': (2, 3)}\n", six), "numpy")
    case("shape-list.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3]}\n", six), "numpy")
    case("shape-bool.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (True, 6)}\n", six), "numpy")
    case("shape-negative.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (-2, -3)}\n", six), "numpy")
    case("shape-float.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2.0, 3)}\n", six), "numpy")
    case("shape-hex.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (0x2, 0b11)}\n", six), "numpy")
    case("shape-underscore.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 0_3)}\n", six), "numpy")
    case("shape-long-suffix.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L)}\n", six), "numpy")
    case("shape-leading-zero.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (02, 3)}\n", six), "numpy")
    case("shape-parens.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': ((2), (3))}\n", six), "numpy")
    case("shape-scalar.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': ()}\n", six[:4]), "numpy")
    case("fortran-int.npy", npy_bytes("{'descr': '<f4', 'fortran_order': 0, 'shape': (2, 3)}\n", six), "numpy")
    case("fortran.npy", npy_bytes(hdr(fortran=True), six), "numpy")
    case("big-endian.npy", npy_bytes(hdr(">f4"), np.arange(1, 7, dtype=">f4").tobytes()), "numpy")
    case("no-byteorder.npy", npy_bytes(hdr("f4"), six), "numpy")
    case("pipe-byteorder.npy", npy_bytes(hdr("|f4"), six), "numpy")
    case("equals-byteorder.npy", npy_bytes(hdr("=f4"), six), "numpy")
    case("float16.npy", npy_bytes(hdr("<f2"), np.arange(1, 7, dtype="<f2").tobytes()), "numpy")
    case("float64.npy", npy_bytes(hdr("<f8"), (np.arange(1, 7) / 3).astype("<f8").tobytes()), "numpy")
    case("int64.npy", npy_bytes(hdr("<i8"), np.arange(-3, 3, dtype="<i8").tobytes()), "numpy")
    case("uint8.npy", npy_bytes(hdr("|u1"), np.arange(250, 256, dtype="u1").tobytes()), "numpy")
    case("bool.npy", npy_bytes(hdr("|b1"), bytes([1, 0, 1, 1, 0, 0])), "numpy")
    case("nan-inf.npy", npy_bytes(hdr(shape=(4,)), np.array([np.nan, np.inf, -np.inf, -0.0], "<f4").tobytes()), "numpy")
    case("uint16.npy", npy_bytes(hdr("<u2"), np.arange(6, dtype="<u2").tobytes()), "numpy",
         {"refuses": "not supported"})
    case("complex.npy", npy_bytes(hdr("<c8"), np.zeros(6, "<c8").tobytes()), "numpy", {"refuses": "not supported"})
    case("object.npy", npy_bytes(hdr("|O"), b"\0" * 48), "numpy")
    case("structured.npy", npy_bytes("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (6,)}\n", six), "numpy",
         {"refuses": "not supported"})
    case("descr-name.npy", npy_bytes(hdr("float32"), six), "numpy", {"refuses": "not supported"})
    case("short-data.npy", npy_bytes(hdr(), six[:20]), "numpy")
    case("trailing-data.npy", npy_bytes(hdr(), six + b"extra bytes"), "numpy")
    case("zero-size.npy", npy_bytes(hdr(shape=(0, 3)), b""), "numpy")
    case("zero-huge.npy", npy_bytes(hdr(shape=(0, 2 ** 40)), b""), "numpy", {"refuses": "dimension 1099511627776"})
    case("version-2.npy", npy_bytes(hdr(), six, (2, 0)), "numpy")
    case("version-3-utf8.npy", npy_bytes(hdr().rstrip("\n") + " # é\n", six, (3, 0)), "numpy")
    case("version-1-1.npy", npy_bytes(hdr(), six, (1, 1)), "numpy")
    case("version-4.npy", npy_bytes(hdr(), six, (4, 0)), "numpy")
    case("header-10000.npy", npy_bytes(hdr().rstrip("\n") + " " * (10000 - len(hdr())) + "\n", six), "numpy")
    case("header-10001.npy", npy_bytes(hdr().rstrip("\n") + " " * (10001 - len(hdr())) + "\n", six), "numpy")
    case("nul-in-header.npy", npy_bytes(hdr().rstrip("\n") + "\0\n", six), "numpy")
    case("unterminated.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)", six), "numpy")
    case("escaped-descr.npy", npy_bytes("{'descr': '\\x3cf4', 'fortran_order': False, 'shape': (2, 3)}\n", six), "numpy")
    case("not-a-dict.npy", npy_bytes("[('descr', '<f4')]\n", six), "numpy")
    case("truncated-magic.npy", b"\x93NUMPY\x01", "numpy")


def zip_bytes(entries, compress=zipfile.ZIP_STORED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compress) as z:
        for name, data in entries:
            z.writestr(name, data)
    return buf.getvalue()


def npz_cases():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.arange(3, dtype=np.float32)
    for name, fn in (("savez.npz", np.savez), ("savez-compressed.npz", np.savez_compressed)):
        buf = io.BytesIO()
        fn(buf, **{"layer.weight": a, "layer.bias": b[:2]})
        case(name, buf.getvalue(), "numpy")
    good = npy_bytes(hdr(), a.tobytes())
    case("junk-entry.npz", zip_bytes([("w.npy", good), ("notes.txt", b"hello")]), "numpy")
    case("txt-first.npz", zip_bytes([("notes.txt", b"hello"), ("w.npy", good)]), "numpy")
    bad = bytearray(zip_bytes([("w.npy", good)]))
    bad[40 + 5 + len(good) // 2] ^= 0xFF  # a byte of the array data
    case("bad-crc.npz", bytes(bad), "numpy")
    # Two names, one local record: the directory's second entry points at the first one's header.
    one = zip_bytes([("a.npy", good), ("b.npy", good)])
    cd = one.index(b"PK\x01\x02")
    cd2 = one.index(b"PK\x01\x02", cd + 4)
    lying = bytearray(one)
    lying[cd2 + 42:cd2 + 46] = (0).to_bytes(4, "little")
    case("two-names-one-record.npz", bytes(lying), "numpy")
    # The second entry's local header inside the first entry's data: overlapping entries.
    inner = zip_bytes([("b.npy", good)])
    body = inner[:inner.index(b"PK\x01\x02")]
    outer = bytearray(zip_bytes([("a.npy", body)]))
    start = 30 + len("a.npy")
    cdb = zip_bytes([("b.npy", good)])
    cdb = cdb[cdb.index(b"PK\x01\x02"):cdb.index(b"PK\x05\x06")]
    cdb = bytearray(cdb)
    cdb[42:46] = start.to_bytes(4, "little")
    eocd_at = outer.index(b"PK\x05\x06")
    cd_at = outer.index(b"PK\x01\x02")
    eocd = bytearray(outer[eocd_at:])
    eocd[8:10] = (2).to_bytes(2, "little")
    eocd[10:12] = (2).to_bytes(2, "little")
    eocd[12:16] = (eocd_at - cd_at + len(cdb)).to_bytes(4, "little")
    case("overlapping.npz", bytes(outer[:eocd_at]) + bytes(cdb) + bytes(eocd), "numpy")
    # A deflated entry that inflates to more than its header says.
    stream = zlib.compressobj(9, zlib.DEFLATED, -15)
    big = np.zeros(4096, np.float32)
    raw = npy_bytes(hdr(shape=(4096,)), big.tobytes())
    comp = stream.compress(raw) + stream.flush()
    honest = bytearray(zip_bytes([("w.npy", raw)], zipfile.ZIP_DEFLATED))
    assert honest.index(comp) > 0
    lie = bytearray(honest)
    for sig, off in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = lie.index(sig)
        lie[at + off:at + off + 4] = (100).to_bytes(4, "little")
    case("inflates-past-size.npz", bytes(lie), "numpy")


class Tied(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Linear(3, 3)
        self.b = torch.nn.Linear(3, 3)
        self.b.weight = self.a.weight


def pt_bytes(obj, **kw):
    buf = io.BytesIO()
    torch.save(obj, buf, **kw)
    return buf.getvalue()


def rezip(data, edit):
    """Rewrites a torch zip entry by entry through `edit(name, bytes) -> bytes` (CRCs recomputed)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as z:
        for info in src.infolist():
            z.writestr(info.filename, edit(info.filename, src.read(info.filename)))
    return buf.getvalue()


def pt_cases():
    torch.manual_seed(0)
    lin = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    sd = lin.state_dict()
    case("plain.pt", pt_bytes(sd), "torch")
    case("f16.pt", pt_bytes({k: v.half() for k, v in sd.items()}), "torch")
    case("f64.pt", pt_bytes({k: v.double() for k, v in sd.items()}), "torch")
    case("bf16.pt", pt_bytes({k: v.bfloat16() for k, v in sd.items()}), "torch")
    case("int64.pt", pt_bytes({"labels": torch.arange(-3, 3)}), "torch")
    case("transposed-view.pt", pt_bytes({"w": torch.arange(6.0).reshape(2, 3).t()}), "torch")
    case("offset-view.pt", pt_bytes({"w": torch.arange(10.0)[3:7]}), "torch")
    case("tied.pt", pt_bytes(Tied().state_dict()), "torch")
    case("nested.pt", pt_bytes({"epoch": 3, "model_state_dict": sd}), "torch")
    case("dict-wrapper.pt", pt_bytes({"a": {"b": sd}}), "torch")
    case("legacy.pt", pt_bytes(sd, _use_new_zipfile_serialization=False), "torch", {"refuses": "legacy"})
    pkl = lambda name: name.endswith("data.pkl")  # noqa: E731
    case("pickle-os-system.pt", rezip(pt_bytes(sd), lambda n, b: b.replace(b"collections\nOrderedDict", b"os\nsystem\n\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00") if pkl(n) else b), "torch")
    # PyTorch reads a storage record shorter than its declared size (past the record's end);
    # Weightscope refuses it.
    case("storage-short.pt", rezip(pt_bytes(sd), lambda n, b: b[:-4] if n.endswith("data/0") else b), "torch",
         {"refuses": "holds 28 bytes, needs 32"})
    case("storage-long.pt", rezip(pt_bytes(sd), lambda n, b: b + b"\0" * 8 if n.endswith("data/0") else b), "torch")
    bad = bytearray(pt_bytes(sd))
    at = bad.index(b"data/0") + len(b"data/0") + 4
    bad[at + 60] ^= 0xFF
    # PyTorch does not check a record's CRC-32; Weightscope does, as Python's zipfile does.
    case("bad-crc.pt", bytes(bad), "torch", {"refuses": "CRC-32"})


def main():
    os.makedirs(ROOT, exist_ok=True)
    for f in os.listdir(ROOT):
        os.remove(os.path.join(ROOT, f))
    npy_cases()
    npz_cases()
    pt_cases()
    with open(os.path.join(ROOT, "manifest.json"), "w") as f:
        json.dump({"cases": CASES}, f, indent=1)
        f.write("\n")
    acc = sum(c["verdict"] == "accept" for c in CASES)
    print(f"{len(CASES)} cases ({acc} accepted by the reference) -> {ROOT}")


if __name__ == "__main__":
    main()
