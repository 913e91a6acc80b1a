import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ImageInputError, readImageHeader } from '../src/engine/image-header';

function png(w: number, h: number): Uint8Array {
  const b = new Uint8Array(33);
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  new DataView(b.buffer).setUint32(16, w);
  new DataView(b.buffer).setUint32(20, h);
  return b;
}

describe('image boundary', () => {
  it('reads the shipped samples', () => {
    for (const name of ['face', 'ascent', 'rings', 'shapes']) {
      expect(readImageHeader(readFileSync(`public/samples/${name}.png`), name)).toEqual({
        format: 'png',
        width: 128,
        height: 128,
      });
    }
  });
  it('reads a JPEG size from its SOF marker, past APP segments', () => {
    const jpeg = new Uint8Array([
      0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x01, 0x2c, 0x00, 0xc8,
      0x03, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    expect(readImageHeader(jpeg)).toEqual({ format: 'jpeg', width: 200, height: 300 });
  });
  it('refuses what is not an image, 0×0 and 10,000×10,000, with messages a person can act on', () => {
    expect(() => readImageHeader(new TextEncoder().encode('hello'), 'notes.txt')).toThrow(
      /notes\.txt is not an image/,
    );
    expect(() => readImageHeader(png(0, 0), 'empty.png')).toThrow(/0×0 px/);
    expect(() => readImageHeader(png(10000, 10000), 'huge.png')).toThrow(
      /10000×10000 px; the largest accepted is 8192×8192/,
    );
    expect(() => readImageHeader(new Uint8Array([0xff, 0xd8, 0xff, 0x00]), 'bad.jpg')).toThrow(
      ImageInputError,
    );
  });
  it('never throws anything but ImageInputError on truncated or random headers', () => {
    const seeds = [png(64, 64), readFileSync('public/samples/face.png').subarray(0, 64)];
    for (const s of seeds) {
      for (let cut = 0; cut < s.length; cut++) {
        try {
          readImageHeader(s.subarray(0, cut));
        } catch (e) {
          expect(e).toBeInstanceOf(ImageInputError);
        }
      }
    }
  });
});
