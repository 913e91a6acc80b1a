"""safetensors per its spec, for the fixture scripts (python3-safetensors is not in Debian): a u64
little-endian header length, a JSON header padded with spaces to 8 bytes, then each tensor's
contiguous little-endian data in header order. Not named safetensors.py, so that the real library
still imports where it is installed.
"""
import json
import struct

import numpy as np

# safetensors dtype -> numpy dtype; BF16 has no numpy dtype and travels as its raw 16 bits.
DTYPES = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "I64": "<i8", "I32": "<i4", "U8": "u1", "BF16": "<u2"}
NAMES = {np.dtype(v): k for k, v in DTYPES.items() if k != "BF16"}


def write(path, tensors, metadata=None):
    """Writes `tensors` (name -> array, or {"dtype": name, "data": array} for BF16) and the metadata."""
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        dtype, data = (t["dtype"], t["data"]) if isinstance(t, dict) else (NAMES[t.dtype], t)
        raw = np.ascontiguousarray(data).astype(data.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(data.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def read(path):
    """The tensors (name -> numpy array) and the metadata of a safetensors file."""
    b = open(path, "rb").read()
    (n,) = struct.unpack("<Q", b[:8])
    header = json.loads(b[8:8 + n])
    meta = header.pop("__metadata__", {})
    out = {}
    for name, e in header.items():
        s, t = e["data_offsets"]
        out[name] = np.frombuffer(b[8 + n + s:8 + n + t], dtype=DTYPES[e["dtype"]]).reshape(e["shape"])
    return out, meta
