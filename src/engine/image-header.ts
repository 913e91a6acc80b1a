/**
 * The boundary for dropped images (and the CLI's `--image`/`--data`): sniff the format from magic
 * bytes and read the size the DECODER will use, before anything is decoded, so a 10,000×10,000 px
 * bomb is refused without allocating 400 MB. That is the real frame size, not a header field a
 * decoder ignores: every GIF frame descriptor (a frame may be larger than the logical screen), the
 * JPEG SOF found by walking markers as libjpeg does (fill bytes before a marker are skipped, so a
 * fake SOF inside an APP segment is never read), every WebP bitstream and animation frame, PNG's
 * IHDR, BMP's info header.
 */

export class ImageInputError extends Error {
  override name = 'ImageInputError';
}

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp';

/** Largest side accepted before resizing; INRs here train at 16–128 px. */
export const MAX_IMAGE_SIDE = 8192;
/** Largest pixel count (4096², 64 MB as RGBA) a decoder may be asked to produce. */
export const MAX_IMAGE_PIXELS = 4096 * 4096;

interface Size {
  width: number;
  height: number;
}

const u16be = (b: Uint8Array, o: number): number => (b[o]! << 8) | b[o + 1]!;
const u32be = (b: Uint8Array, o: number): number =>
  ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
const u16le = (b: Uint8Array, o: number): number => b[o]! | (b[o + 1]! << 8);
const u24le = (b: Uint8Array, o: number): number => b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16);
const u32le = (b: Uint8Array, o: number): number =>
  (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
const i32le = (b: Uint8Array, o: number): number => u32le(b, o) | 0;
const larger = (a: Size | null, b: Size): Size =>
  a ? { width: Math.max(a.width, b.width), height: Math.max(a.height, b.height) } : b;

/** PNG: the first chunk must be IHDR (13 bytes), as every decoder requires. */
function pngSize(b: Uint8Array): Size | null {
  if (b.length < 24 || u32be(b, 8) !== 13 || String.fromCharCode(...b.subarray(12, 16)) !== 'IHDR')
    return null;
  return { width: u32be(b, 16), height: u32be(b, 20) };
}

/**
 * JPEG: walk the markers from SOI to SOS. Any number of 0xFF fill bytes may precede a marker
 * (ITU T.81 B.1.1.2); standalone markers carry no length; every other segment is skipped by its
 * length. The largest SOFn frame before the scan is the size (a second SOF is not trusted away).
 */
function jpegSize(b: Uint8Array): Size | null {
  let o = 2;
  let size: Size | null = null;
  while (o < b.length) {
    if (b[o] !== 0xff) return size; // not at a marker: damaged (or entropy data we never reach)
    while (o < b.length && b[o] === 0xff) o++; // fill bytes
    if (o >= b.length) return size;
    const marker = b[o++]!;
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) continue;
    if (marker === 0xd9 || marker === 0xda) return size; // EOI, or SOS: frame header is behind us
    if (o + 2 > b.length) return size;
    const len = u16be(b, o);
    if (len < 2) return null;
    // SOF0–SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (o + 7 > b.length) return size;
      size = larger(size, { height: u16be(b, o + 3), width: u16be(b, o + 5) });
    }
    o += len;
  }
  return size;
}

/** Skips GIF data sub-blocks (length byte, data… until a 0 length); returns the offset after them. */
function skipSubBlocks(b: Uint8Array, o: number): number {
  while (o < b.length && b[o] !== 0) o += 1 + b[o]!;
  return o + 1;
}

/** GIF: the logical screen, grown to cover every frame's left+width × top+height. */
function gifSize(b: Uint8Array): Size | null {
  if (b.length < 13) return null;
  let size: Size = { width: u16le(b, 6), height: u16le(b, 8) };
  const flags = b[10]!;
  let o = 13 + (flags & 0x80 ? 3 << ((flags & 7) + 1) : 0);
  while (o < b.length) {
    const block = b[o]!;
    if (block === 0x3b) break; // trailer
    if (block === 0x21) {
      o = skipSubBlocks(b, o + 2); // extension: introducer, label, sub-blocks
    } else if (block === 0x2c) {
      if (o + 10 > b.length) break;
      const frame = {
        width: u16le(b, o + 1) + u16le(b, o + 5),
        height: u16le(b, o + 3) + u16le(b, o + 7),
      };
      size = larger(size, frame);
      const f = b[o + 9]!;
      o += 10 + (f & 0x80 ? 3 << ((f & 7) + 1) : 0);
      o = skipSubBlocks(b, o + 1); // LZW minimum code size, then image data
    } else return null; // not a GIF block: damaged
  }
  return size;
}

/** WebP: every VP8/VP8L bitstream and ANMF frame, and the VP8X canvas; the largest wins. */
function webpSize(b: Uint8Array): Size | null {
  let size: Size | null = null;
  let o = 12;
  while (o + 8 <= b.length) {
    const id = String.fromCharCode(b[o]!, b[o + 1]!, b[o + 2]!, b[o + 3]!);
    const len = u32le(b, o + 4);
    const d = o + 8;
    if (id === 'VP8X' && d + 10 <= b.length)
      size = larger(size, { width: 1 + u24le(b, d + 4), height: 1 + u24le(b, d + 7) });
    else if (id === 'VP8 ' && d + 10 <= b.length)
      size = larger(size, { width: u16le(b, d + 6) & 0x3fff, height: u16le(b, d + 8) & 0x3fff });
    else if (id === 'VP8L' && d + 5 <= b.length) {
      const bits = u32le(b, d + 1);
      size = larger(size, { width: 1 + (bits & 0x3fff), height: 1 + ((bits >>> 14) & 0x3fff) });
    } else if (id === 'ANMF' && d + 12 <= b.length) {
      // Frame X/Y are stored halved; the frame's bitstream chunks follow inside the ANMF payload.
      const x = 2 * u24le(b, d);
      const y = 2 * u24le(b, d + 3);
      size = larger(size, { width: x + 1 + u24le(b, d + 6), height: y + 1 + u24le(b, d + 9) });
      o = d + 16; // walk into the frame's own chunks
      continue;
    }
    o = d + len + (len & 1);
  }
  return size;
}

/** BMP: BITMAPCOREHEADER (12 bytes, u16 sizes) or a later info header (i32 sizes; height < 0 = top-down). */
function bmpSize(b: Uint8Array): Size | null {
  const header = u32le(b, 14);
  if (header === 12) return { width: u16le(b, 18), height: u16le(b, 20) };
  if (header < 40 || b.length < 26) return null;
  return { width: Math.abs(i32le(b, 18)), height: Math.abs(i32le(b, 22)) };
}

/** Reads format and size from a file's bytes; throws ImageInputError when it cannot or when too large. */
export function readImageHeader(
  bytes: Uint8Array,
  name = 'file',
): { format: ImageFormat; width: number; height: number } {
  const b = bytes;
  let format: ImageFormat | null = null;
  let size: Size | null = null;
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) {
    format = 'png';
    size = pngSize(b);
  } else if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) {
    format = 'jpeg';
    size = jpegSize(b);
  } else if (b.length >= 6 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38) {
    format = 'gif';
    size = gifSize(b);
  } else if (
    b.length >= 16 &&
    b[0] === 0x52 &&
    b[1] === 0x49 &&
    b[2] === 0x46 &&
    b[3] === 0x46 &&
    b[8] === 0x57 &&
    b[9] === 0x45 &&
    b[10] === 0x42 &&
    b[11] === 0x50
  ) {
    format = 'webp';
    size = webpSize(b);
  } else if (b.length >= 18 && b[0] === 0x42 && b[1] === 0x4d) {
    format = 'bmp';
    size = bmpSize(b);
  }
  if (!format) {
    throw new ImageInputError(`${name} is not an image Weightscope can read (PNG, JPEG, GIF, WebP or BMP)`);
  }
  if (!size)
    throw new ImageInputError(
      `${name}: the ${format.toUpperCase()} header is damaged; its size cannot be read`,
    );
  checkImageSize(size.width, size.height, name);
  return { format, ...size };
}

/** Refuses 0 px and sizes over MAX_IMAGE_SIDE / MAX_IMAGE_PIXELS, for any decoder (app, CLI, .npy). */
export function checkImageSize(width: number, height: number, name: string): void {
  if (width === 0 || height === 0) {
    throw new ImageInputError(`${name} is ${width}×${height} px: an image needs at least one pixel`);
  }
  if (width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE || width * height > MAX_IMAGE_PIXELS) {
    throw new ImageInputError(
      `${name} is ${width}×${height} px; the largest accepted is ${MAX_IMAGE_SIDE}×${MAX_IMAGE_SIDE} and ` +
        `${(MAX_IMAGE_PIXELS / 2 ** 20).toFixed(0)} M pixels in all (limits MAX_IMAGE_SIDE, MAX_IMAGE_PIXELS; it is resized to 16–128 px anyway)`,
    );
  }
}
