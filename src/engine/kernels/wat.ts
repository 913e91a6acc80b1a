/**
 * A few helpers for emitting WebAssembly text: the kernel generator builds its functions from
 * these so that unrolled register blocks are loops in TypeScript, not pages of copied .wat.
 */

/** Which fused multiply–add the generated code uses. */
export type SimdFlavour = 'simd' | 'relaxed';

/** A function under construction: collects the locals its emitters ask for. */
export class WatFn {
  private readonly locals = new Map<string, string>();

  constructor(
    readonly flavour: SimdFlavour,
    private readonly name: string,
    private readonly params: [string, string][],
    private readonly result?: string,
    private readonly exported = true,
  ) {}

  private local(name: string, type: string): string {
    if (this.params.some(([p]) => p === name)) return `$${name}`;
    const prev = this.locals.get(name);
    if (prev && prev !== type) throw new Error(`local ${name} declared as ${prev} and ${type}`);
    this.locals.set(name, type);
    return `$${name}`;
  }
  i32 = (name: string): string => this.local(name, 'i32');
  f32 = (name: string): string => this.local(name, 'f32');
  f64 = (name: string): string => this.local(name, 'f64');
  v = (name: string): string => this.local(name, 'v128');
  /** Several i32 locals at once, as a tuple for destructuring. */
  ints<T extends readonly string[]>(...names: T): { [K in keyof T]: string } {
    return names.map(this.i32) as { [K in keyof T]: string };
  }
  /** Several v128 locals at once. */
  vecs<T extends readonly string[]>(...names: T): { [K in keyof T]: string } {
    return names.map(this.v) as { [K in keyof T]: string };
  }

  /** a·b + c, fused where the flavour has relaxed SIMD. */
  madd(a: string, b: string, c: string): string {
    return this.flavour === 'relaxed'
      ? `(f32x4.relaxed_madd ${a} ${b} ${c})`
      : `(f32x4.add (f32x4.mul ${a} ${b}) ${c})`;
  }

  render(body: string): string {
    const exp = this.exported ? ` (export "${this.name}")` : '';
    const ps = this.params.map(([n, t]) => `(param $${n} ${t})`).join(' ');
    const res = this.result ? ` (result ${this.result})` : '';
    const ls = [...this.locals].map(([n, t]) => `(local $${n} ${t})`).join(' ');
    return `(func $${this.name}${exp} ${ps}${res}\n  ${ls}\n${body})\n`;
  }
}

/** A float32 constant vector (9 significant digits round-trip any float32). */
export const vconst = (x: number): string => {
  const s = Number.isFinite(x) ? Math.fround(x).toPrecision(9) : x > 0 ? 'inf' : '-inf';
  return `(v128.const f32x4 ${s} ${s} ${s} ${s})`;
};
export const iconst = (x: number): string => `(v128.const i32x4 ${x} ${x} ${x} ${x})`;
export const get = (l: string): string => `(local.get ${l})`;
export const set = (l: string, e: string): string => `(local.set ${l} ${e})\n`;
export const add = (a: string, b: string): string => `(i32.add ${a} ${b})`;
export const mul = (a: string, b: string): string => `(i32.mul ${a} ${b})`;
export const i32 = (x: number): string => `(i32.const ${x})`;
/** Reads an i32 field of the configuration block (CFG offsets). */
export const cfg = (offset: number): string => `(i32.load (i32.const ${offset}))`;
/** Reads an i32 entry of a per-layer configuration array. */
export const cfgAt = (base: number, index: string): string =>
  `(i32.load (i32.add (i32.const ${base}) (i32.shl ${index} (i32.const 2))))`;

let labels = 0;
/** `while (cond) body`, with a fresh label pair. */
export function whileLoop(cond: string, body: string): string {
  const l = `L${labels++}`;
  return `(block $${l}_x (loop $${l} (br_if $${l}_x (i32.eqz ${cond}))\n${body}(br $${l})))\n`;
}
/** `for (v = from; v < to; v += step) body` over i32 locals. */
export function forLoop(v: string, from: string, to: string, step: string, body: string): string {
  return set(v, from) + whileLoop(`(i32.lt_u ${get(v)} ${to})`, body + set(v, add(get(v), step)));
}
/** Resets the label counter, so that generating twice gives identical text. */
export function resetLabels(): void {
  labels = 0;
}
