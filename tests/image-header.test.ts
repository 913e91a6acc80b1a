import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ImageInputError, readImageHeader } from '../src/engine/image-header';
import { gif, jpeg, latin1, pngHeader, sof } from '../scripts/hostile/bytes';

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
  it('reads the size a decoder allocates: GIF frames, JPEG markers past fill bytes (issue #15)', () => {
    expect(readImageHeader(gif(16, 16))).toEqual({ format: 'gif', width: 16, height: 16 });
    expect(() => readImageHeader(gif(16, 9000), 'g.gif')).toThrow(/9000×9000 px/);
    expect(() => readImageHeader(gif(9000, 16), 'g.gif')).toThrow(/9000×9000 px/);
    // A fill byte before APP1, whose payload holds a fake 16×16 SOF: the real frame is 9000².
    const hidden = jpeg([
      [0xe1, [0xff, 0xc0, 0, 11, ...sof(16, 16)], 1],
      [0xc0, sof(9000, 9000)],
    ]);
    expect(() => readImageHeader(hidden, 'j.jpg')).toThrow(/9000×9000 px/);
    // The other way round: a huge fake SOF inside APP1 is data; the frame is 16×16.
    const fake = jpeg([
      [0xe1, [0xff, 0xc0, 0, 11, ...sof(9000, 9000)]],
      [0xc0, sof(16, 16)],
    ]);
    expect(readImageHeader(fake)).toEqual({ format: 'jpeg', width: 16, height: 16 });
    // Two SOFs before the scan: the larger is the one that counts.
    expect(() =>
      readImageHeader(
        jpeg([
          [0xc0, sof(16, 16)],
          [0xc2, sof(9000, 9000)],
        ]),
      ),
    ).toThrow(/9000/);
  });

  it('PNG needs IHDR first; WebP frames and BMP core headers count; the pixel cap holds', () => {
    const noIhdr = pngHeader(16, 16);
    noIhdr.set(latin1('IDAT'), 12);
    expect(() => readImageHeader(noIhdr, 'p.png')).toThrow(/damaged/);
    expect(() => readImageHeader(pngHeader(4097, 4097), 'p.png')).toThrow(/MAX_IMAGE_PIXELS/);
    expect(readImageHeader(pngHeader(8192, 2048))).toMatchObject({ width: 8192, height: 2048 });
    const u24 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff];
    const chunk = (id: string, payload: number[]) => [...latin1(id), ...u24(payload.length), 0, ...payload];
    const webp = (chunks: number[][]) => {
      const body = chunks.flat();
      return Uint8Array.from([...latin1('RIFF'), ...u24(body.length + 4), 0, ...latin1('WEBP'), ...body]);
    };
    const vp8x = chunk('VP8X', [0x02, 0, 0, 0, ...u24(15), ...u24(15)]);
    const frame = chunk('ANMF', [...u24(0), ...u24(0), ...u24(8999), ...u24(8999), 0, 0, 0, 0]);
    expect(readImageHeader(webp([vp8x]))).toMatchObject({ format: 'webp', width: 16, height: 16 });
    expect(() => readImageHeader(webp([vp8x, frame]), 'a.webp')).toThrow(/9000×9000 px/);
    const bmp = new Uint8Array(26);
    bmp.set([0x42, 0x4d], 0);
    new DataView(bmp.buffer).setUint32(14, 12, true);
    new DataView(bmp.buffer).setUint16(18, 9000, true);
    new DataView(bmp.buffer).setUint16(20, 16, true);
    expect(() => readImageHeader(bmp, 'b.bmp')).toThrow(/9000×16 px/);
  });
});
