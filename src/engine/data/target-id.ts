/**
 * The id of an INR's target image, built and parsed here only: "sample:rings@32", "mnist:7@32",
 * "file:<sha256>@64" (the image's source and its side in pixels). Models carry it so that they
 * can be scored on the image they were trained on; links and exports carry it as text.
 */

/** Where a target image comes from, and its size. */
export type TargetRef =
  | { kind: 'sample'; id: string; size: number }
  | { kind: 'mnist'; index: number; size: number }
  | { kind: 'file'; sha256: string; size: number };

/** The id of a target image. */
export function targetId(ref: TargetRef): string {
  const key = ref.kind === 'sample' ? ref.id : ref.kind === 'mnist' ? String(ref.index) : ref.sha256;
  return `${ref.kind}:${key}@${ref.size}`;
}

/** The image an id names, or null when the text is not a target id. */
export function parseTargetId(id: string): TargetRef | null {
  const m = /^(sample|mnist|file):([^@]+)@(\d+)$/.exec(id);
  if (!m) return null;
  const [, kind, key, sizeText] = m;
  const size = Number(sizeText);
  if (kind === 'sample') return { kind, id: key!, size };
  if (kind === 'mnist') return { kind, index: Number(key), size };
  return { kind: 'file', sha256: key!, size };
}

/** The image in words, e.g. "rings image, 32×32" (ids that do not parse are shown as they are). */
export function describeTarget(id: string): string {
  const ref = parseTargetId(id);
  if (!ref) return `target image (${id})`;
  const what =
    ref.kind === 'sample'
      ? `${ref.id} image`
      : ref.kind === 'mnist'
        ? `MNIST #${ref.index} image`
        : 'your image';
  return `${what}, ${ref.size}×${ref.size}`;
}
