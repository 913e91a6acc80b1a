"""Builds the sample images shipped in public/samples (run with Debian's python3: scipy, PIL).

face and ascent are SciPy's bundled public-domain photographs (scipy.misc, SciPy 1.10); rings and
shapes are drawn here. All are 128×128 PNGs; the app resizes them to the experiment's size.
"""
import json
import numpy as np
import scipy.misc
from PIL import Image

OUT = "public/samples"
S = 128


def save(name, arr):
    Image.fromarray(arr).save(f"{OUT}/{name}.png", optimize=True)


face = scipy.misc.face()  # 768×1024×3
face = face[:, 128:896]
save("face", np.asarray(Image.fromarray(face).resize((S, S), Image.LANCZOS)))

ascent = scipy.misc.ascent().astype(np.float64)
ascent = (255 * (ascent - ascent.min()) / (ascent.max() - ascent.min())).astype(np.uint8)
save("ascent", np.asarray(Image.fromarray(ascent).resize((S, S), Image.LANCZOS)))

r, c = np.meshgrid(np.linspace(-1, 1, S), np.linspace(-1, 1, S), indexing="ij")
rings = 0.5 + 0.5 * np.cos(14 * np.sqrt(r**2 + c**2)) * np.exp(-1.2 * (r**2 + c**2))
save("rings", (255 * rings).clip(0, 255).astype(np.uint8))

shapes = np.full((S, S), 0.15)
shapes[(r + 0.35) ** 2 + (c + 0.35) ** 2 < 0.12] = 0.9
shapes[(np.abs(r - 0.35) < 0.3) & (np.abs(c - 0.35) < 0.3)] = 0.6
shapes[(r > 0.1) & (c < -0.1) & (r - 0.1 > -(c + 0.1) - 0.0) & (r < 0.8)] = 0.4
save("shapes", (255 * shapes).astype(np.uint8))

manifest = [
    {"id": "face", "label": "Raccoon face (photo)", "file": "face.png", "credit": "SciPy scipy.misc.face, public domain"},
    {"id": "ascent", "label": "Ascent (photo)", "file": "ascent.png", "credit": "SciPy scipy.misc.ascent, public domain"},
    {"id": "rings", "label": "Rings", "file": "rings.png", "credit": "drawn by scripts/make_samples.py"},
    {"id": "shapes", "label": "Shapes", "file": "shapes.png", "credit": "drawn by scripts/make_samples.py"},
]
with open(f"{OUT}/samples.json", "w") as f:
    json.dump(manifest, f, indent=2)
    f.write("\n")
