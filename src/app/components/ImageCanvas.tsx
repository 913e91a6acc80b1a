import { useEffect, useRef } from 'react';

export interface ImageCanvasProps {
  /** Row-major [height, width, channels] values in [0, 1]. */
  data: Float32Array;
  offset?: number;
  width: number;
  height: number;
  channels: number;
  scale?: number;
  label?: string;
  testId?: string;
}

/** Draws a [0, 1] image (1 or 3 channels) into a canvas, pixelated. */
export function ImageCanvas({
  data,
  offset = 0,
  width,
  height,
  channels,
  scale = 3,
  label,
  testId,
}: ImageCanvasProps) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const ctx = ref.current?.getContext('2d');
    if (!ctx) return;
    const img = ctx.createImageData(width, height);
    for (let p = 0; p < width * height; p++) {
      for (let c = 0; c < 3; c++) {
        const v = data[offset + p * channels + (channels === 3 ? c : 0)]!;
        img.data[p * 4 + c] = Math.round(255 * Math.min(1, Math.max(0, v)));
      }
      img.data[p * 4 + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }, [data, offset, width, height, channels]);
  return (
    <figure className="thumb" data-testid={testId}>
      <canvas
        ref={ref}
        width={width}
        height={height}
        style={{ width: width * scale, height: height * scale }}
      />
      {label && <figcaption>{label}</figcaption>}
    </figure>
  );
}
