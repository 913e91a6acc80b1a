/**
 * The image size an INR was trained at. An INR maps coordinates to pixels, so scoring it on a
 * grid of another size scores a different task (the shipped 32-px samples on the 128-px
 * `rings.png` gave an MSE 2000× too high). Outputs record the size (`weightscope.imageSize`,
 * "W×H"); commands that take an image use it by default, `--size` overrides, and any
 * disagreement is said on stderr.
 */
import type { FlagSpec } from './args';

/** A trained image size. */
export interface ImageSize {
  width: number;
  height: number;
}

/** `--size S` for every command that takes an image. */
export const SIZE_FLAG: Record<string, FlagSpec> = {
  size: {
    kind: 'int',
    arg: 'S',
    min: 1,
    max: 4096,
    help: "centre-crop the image to a square and resize to S×S (default: the models' training size)",
  },
};

const posInt = (s: string | undefined): number | null => {
  const n = Number(s);
  return Number.isSafeInteger(n) && n > 0 && n <= 65536 ? n : null;
};

/**
 * The training size a checkpoint records: `weightscope.imageSize` ("W×H", "WxH" or "S"), or the
 * `@S` of a sample target in `weightscope.provenance` (the shipped sample models, e.g.
 * "sample:rings@32"). Null when the file says nothing (metadata is untrusted: parsed strictly).
 */
export function recordedSize(metadata: Record<string, string>): ImageSize | null {
  const raw = metadata['weightscope.imageSize'];
  if (raw !== undefined) {
    const m = /^(\d{1,5})(?:\s*[x×]\s*(\d{1,5}))?$/.exec(raw.trim());
    const w = posInt(m?.[1]);
    const h = m?.[2] === undefined ? w : posInt(m[2]);
    if (w && h) return { width: w, height: h };
    return null;
  }
  const prov = metadata['weightscope.provenance'];
  if (prov !== undefined) {
    try {
      const target = (JSON.parse(prov) as { target?: unknown }).target;
      const m = typeof target === 'string' ? /@(\d{1,5})$/.exec(target) : null;
      const s = posInt(m?.[1]);
      if (s) return { width: s, height: s };
    } catch {
      return null;
    }
  }
  return null;
}

export const sizeText = (s: ImageSize): string => `${s.width}×${s.height}`;

/**
 * The side to resize an image to for models that recorded `sizes` (one per model, null when
 * unknown), given `--size` (undefined when not given). Returns the side (undefined: use the
 * image as it is) and the warnings to print.
 */
export function chooseSize(
  flag: number | undefined,
  sizes: readonly { file: string; size: ImageSize | null }[],
): { side: number | undefined; warnings: string[] } {
  const warnings: string[] = [];
  const known = sizes.filter((s): s is { file: string; size: ImageSize } => s.size !== null);
  const first = known[0];
  for (const k of known.slice(1)) {
    if (k.size.width !== first!.size.width || k.size.height !== first!.size.height)
      warnings.push(
        `warning: ${first!.file} was trained at ${sizeText(first!.size)} but ${k.file} at ${sizeText(k.size)}`,
      );
  }
  if (flag !== undefined) {
    for (const k of known) {
      if (k.size.width !== flag || k.size.height !== flag)
        warnings.push(
          `warning: --size ${flag} differs from the ${sizeText(k.size)} image ${k.file} was trained on`,
        );
    }
    return { side: flag, warnings };
  }
  if (!first) return { side: undefined, warnings };
  if (first.size.width !== first.size.height) return { side: undefined, warnings };
  return { side: first.size.width, warnings };
}

/**
 * `chooseSize` for loaded models: prints its warnings, and a note when the size comes from the
 * models' metadata rather than from `--size`, to stderr. Returns the side (or undefined).
 */
export function imageSideFor(
  flag: number | undefined,
  models: readonly { path: string; contents: { metadata: Record<string, string> } }[],
): number | undefined {
  const { side, warnings } = chooseSize(
    flag,
    models.map((m) => ({ file: m.path, size: recordedSize(m.contents.metadata) })),
  );
  for (const w of warnings) process.stderr.write(`${w}\n`);
  if (flag === undefined && side !== undefined)
    process.stderr.write(
      `note: images are resized to ${side}×${side}, the training size recorded in ${models[0]!.path} (--size overrides)\n`,
    );
  return side;
}

/** `{ imageSize: "WxH" }` for a Provenance, carrying a source's recorded size on to a result. */
export function imageSizeOf(metadata: Record<string, string>): { imageSize?: string } {
  const s = recordedSize(metadata);
  return s ? { imageSize: `${s.width}x${s.height}` } : {};
}
