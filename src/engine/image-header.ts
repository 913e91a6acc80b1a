/**
 * The boundary for dropped images: sniff the format from magic bytes and read the dimensions from
 * the header, before anything is decoded, so a 10,000×10,000 px bomb is refused without
 * allocating 400 MB.
 */

export class ImageInputError extends Error {
  override name = 'ImageInputError';
}

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp';

/** Largest side accepted before resizing; INRs here train at 16–128 px. */
export const MAX_IMAGE_SIDE = 8192;

const u16be = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;
const u32be = (b: Uint8Array, o: number): number =>
  ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
const u16le = (b: Uint8Array, o: number): number => b[o]! | (b[o + 1]! << 8);
const i32le = (b: Uint8Array, o: number): number =>
  b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24);

function jpegSize(b: Uint8Array): { width: number; height: number } | null {
  let o = 2;
  while (o + 9 < b.length) {
    if (b[o] !== 0xff) return null;
    const marker = b[o + 1]!;
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      o += 2;
      continue;
    }
    const len = u16be(b, o + 2);
    // SOF0–SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: u16be(b, o + 5), width: u16be(b, o + 7) };
    }
    if (len < 2) return null;
    o += 2 + len;
  }
  return null;
}

/** Reads format and size from the first bytes of a file; throws ImageInputError when it cannot. */
export function readImageHeader(
  bytes: Uint8Array,
  name = 'file',
): { format: ImageFormat; width: number; height: number } {
  const b = bytes;
  let format: ImageFormat | null = null;
  let size: { width: number; height: number } | null = null;
  if (b.length >= 24 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) {
    format = 'png';
    size = { width: u32be(b, 16), height: u32be(b, 20) };
  } else if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) {
    format = 'jpeg';
    size = jpegSize(b);
  } else if (b.length >= 10 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46) {
    format = 'gif';
    size = { width: u16le(b, 6), height: u16le(b, 8) };
  } else if (b.length >= 30 && b[0] === 0x52 && b[1] === 0x49 && b[8] === 0x57 && b[9] === 0x45) {
    format = 'webp';
    const chunk = String.fromCharCode(b[12]!, b[13]!, b[14]!, b[15]!);
    if (chunk === 'VP8X')
      size = {
        width: 1 + (b[24]! | (b[25]! << 8) | (b[26]! << 16)),
        height: 1 + (b[27]! | (b[28]! << 8) | (b[29]! << 16)),
      };
    else if (chunk === 'VP8 ') size = { width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
    else if (chunk === 'VP8L') {
      const bits = b[21]! | (b[22]! << 8) | (b[23]! << 16) | (b[24]! << 24);
      size = { width: 1 + (bits & 0x3fff), height: 1 + ((bits >>> 14) & 0x3fff) };
    }
  } else if (b.length >= 26 && b[0] === 0x42 && b[1] === 0x4d) {
    format = 'bmp';
    size = { width: Math.abs(i32le(b, 18)), height: Math.abs(i32le(b, 22)) };
  }
  if (!format) {
    throw new ImageInputError(`${name} is not an image Weightscope can read (PNG, JPEG, GIF, WebP or BMP)`);
  }
  if (!size)
    throw new ImageInputError(
      `${name}: the ${format.toUpperCase()} header is damaged; its size cannot be read`,
    );
  if (size.width === 0 || size.height === 0) {
    throw new ImageInputError(
      `${name} is ${size.width}×${size.height} px: an image needs at least one pixel`,
    );
  }
  if (size.width > MAX_IMAGE_SIDE || size.height > MAX_IMAGE_SIDE) {
    throw new ImageInputError(
      `${name} is ${size.width}×${size.height} px; the largest accepted is ${MAX_IMAGE_SIDE}×${MAX_IMAGE_SIDE} (it is resized to 16–128 px anyway)`,
    );
  }
  return { format, ...size };
}
