/** A dense float32 tensor: flat data in row-major order plus its shape. */
export interface Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Number of elements a shape holds. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Builds a tensor, checking that the data length matches the shape. */
export function tensor(data: Float32Array, shape: readonly number[]): Tensor {
  if (data.length !== numel(shape)) {
    throw new RangeError(
      `tensor of shape [${shape.join(', ')}] needs ${numel(shape)} values, got ${data.length}`,
    );
  }
  return { data, shape: [...shape] };
}

/** Shape equality. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Formats a shape the way PyTorch prints it, for error messages. */
export function shapeString(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
