/**
 * The three register-blocked products of one MLP layer on one tile of P pixels, activations
 * feature-major ([width, P], pixels contiguous), weights in PyTorch layout W [O, I]:
 *   forward        Z[o, p]  = b[o] + Σ_i W[o, i]·H[i, p], then the activation (fused epilogue)
 *   input gradient G'[i, p] = D[i, p] · Σ_o W[o, i]·G[o, p]
 *   weight gradient dW[o, i] += Σ_p G[o, p]·H[i, p],  db[o] += Σ_p G[o, p]
 * The first two vectorise over pixels (blocks of 4 rows × 8 pixels: 8 accumulators, weights as
 * splats); the third reduces over pixels (blocks of 2 × 4 rows, 8 accumulators, one transpose-add
 * per block). Row counts that are not a multiple of the block fall to 1-row blocks, so any width
 * works; P is a multiple of 8 (the driver pads the pixels).
 */
import { sincos, tanh } from './simd-math';
import { CFG } from './layout';
import { add, forLoop, get, i32, mul, set, vconst, whileLoop, WatFn, type SimdFlavour } from './wat';

/** The hidden activations with a fused epilogue, plus 'linear' for the output layer. */
export type Epilogue = 'linear' | 'relu' | 'sine' | 'tanh' | 'gelu';

const GELU_C = 0.7978845608028654; // √(2/π), the tanh approximation (Hendrycks & Gimpel 2016)
const GELU_A = 0.044715;

const fmul = (a: string, b: string): string => `(f32x4.mul ${a} ${b})`;
const fadd = (a: string, b: string): string => `(f32x4.add ${a} ${b})`;
const fsub = (a: string, b: string): string => `(f32x4.sub ${a} ${b})`;
const store = (addr: string, offset: number, value: string): string =>
  `(v128.store offset=${offset} ${addr} ${value})\n`;

/** Stores act(z) at zAddr and act'(z) at dAddr (byte offset `off` from both). */
function epilogue(f: WatFn, act: Epilogue, z: string, zAddr: string, dAddr: string, off: number): string {
  switch (act) {
    case 'linear':
      return store(zAddr, off, get(z));
    case 'relu':
      return (
        store(zAddr, off, `(f32x4.max ${get(z)} ${vconst(0)})`) +
        store(dAddr, off, `(v128.and (f32x4.gt ${get(z)} ${vconst(0)}) ${vconst(1)})`)
      );
    case 'sine': {
      // sin(w0·z) forward; its derivative w0·cos(w0·z) kept for the backward pass.
      const u = f.v('ep_u');
      const s = f.v('ep_s');
      const c = f.v('ep_c');
      return (
        set(u, fmul(get(z), get(f.v('w0')))) +
        sincos(f, u, s, c) +
        store(zAddr, off, get(s)) +
        store(dAddr, off, fmul(get(c), get(f.v('w0'))))
      );
    }
    case 'tanh': {
      const t = f.v('ep_t');
      return (
        tanh(f, z, t) + store(zAddr, off, get(t)) + store(dAddr, off, fsub(vconst(1), fmul(get(t), get(t))))
      );
    }
    case 'gelu': {
      // 0.5·z·(1 + tanh(c(z + a z³))) and its derivative
      // 0.5(1 + t) + 0.5·z·(1 − t²)·c(1 + 3a z²), as tfjs differentiates stack.ts's expression.
      const u = f.v('ep_u');
      const t = f.v('ep_t');
      const z2 = f.v('ep_z2');
      return (
        set(z2, fmul(get(z), get(z))) +
        set(u, fmul(fadd(get(z), fmul(fmul(get(z2), get(z)), vconst(GELU_A))), vconst(GELU_C))) +
        tanh(f, u, t) +
        store(zAddr, off, fmul(fmul(get(z), vconst(0.5)), fadd(get(t), vconst(1)))) +
        store(
          dAddr,
          off,
          fadd(
            fmul(vconst(0.5), fadd(vconst(1), get(t))),
            fmul(
              fmul(fmul(vconst(0.5), get(z)), fsub(vconst(1), fmul(get(t), get(t)))),
              fmul(vconst(GELU_C), fadd(vconst(1), fmul(vconst(3 * GELU_A), get(z2)))),
            ),
          ),
        )
      );
    }
  }
}

const RP = 2; // pixel vectors per block (8 pixels)

/** fwd_<act>(W, b, H, Z, D, O, I, P): the forward product with the activation fused. */
export function forwardFn(flavour: SimdFlavour, act: Epilogue): string {
  const f = new WatFn(flavour, `fwd_${act}`, [
    ['W', 'i32'],
    ['b', 'i32'],
    ['H', 'i32'],
    ['Z', 'i32'],
    ['D', 'i32'],
    ['O', 'i32'],
    ['I', 'i32'],
    ['P', 'i32'],
  ]);
  const [P4, I4, p, o, i, hp, za, da] = f.ints('P4', 'I4', 'p', 'o', 'i', 'hp', 'za', 'da');
  const block = (ro: number): string => {
    const acc = (r: number, v: number): string => f.v(`acc${r}_${v}`);
    const wp = (r: number): string => f.i32(`wp${r}`);
    let init = '';
    for (let r = 0; r < ro; r++) {
      init += set(
        acc(r, 0),
        `(v128.load32_splat ${add(get('$b'), `(i32.shl ${add(get(o), i32(r))} (i32.const 2))`)})`,
      );
      for (let v = 1; v < RP; v++) init += set(acc(r, v), get(acc(r, 0)));
      init += set(wp(r), add(get('$W'), mul(add(get(o), i32(r)), get(I4))));
    }
    init += set(hp, add(get('$H'), `(i32.shl ${get(p)} (i32.const 2))`)) + set(i, get('$I'));
    let inner = '';
    for (let v = 0; v < RP; v++) inner += set(f.v(`h${v}`), `(v128.load offset=${16 * v} ${get(hp)})`);
    for (let r = 0; r < ro; r++) {
      inner += set(f.v('w'), `(v128.load32_splat ${get(wp(r))})`);
      for (let v = 0; v < RP; v++)
        inner += set(acc(r, v), f.madd(get(f.v('w')), get(f.v(`h${v}`)), get(acc(r, v))));
      inner += set(wp(r), add(get(wp(r)), i32(4)));
    }
    inner += set(hp, add(get(hp), get(P4))) + set(i, `(i32.sub ${get(i)} (i32.const 1))`);
    let out = '';
    for (let r = 0; r < ro; r++) {
      const rowOff = add(mul(add(get(o), i32(r)), get(P4)), `(i32.shl ${get(p)} (i32.const 2))`);
      out += set(za, add(get('$Z'), rowOff)) + set(da, add(get('$D'), rowOff));
      for (let v = 0; v < RP; v++) out += epilogue(f, act, acc(r, v), get(za), get(da), 16 * v);
    }
    return `${init}(loop $k${ro}\n${inner}(br_if $k${ro} ${get(i)}))\n${out}`;
  };
  const body =
    set(P4, `(i32.shl ${get('$P')} (i32.const 2))`) +
    set(I4, `(i32.shl ${get('$I')} (i32.const 2))`) +
    (act === 'sine' ? set(f.v('w0'), `(f32x4.splat (f32.load (i32.const ${CFG.w0})))`) : '') +
    forLoop(
      p,
      i32(0),
      get('$P'),
      i32(4 * RP),
      set(o, i32(0)) +
        whileLoop(`(i32.le_u ${add(get(o), i32(4))} ${get('$O')})`, block(4) + set(o, add(get(o), i32(4)))) +
        whileLoop(`(i32.lt_u ${get(o)} ${get('$O')})`, block(1) + set(o, add(get(o), i32(1)))),
    );
  return f.render(body);
}

/** bwd_in(W, G, D, Gn, O, I, P): the input gradient Gn = (Wᵀ·G) ⊙ D. */
export function inputGradFn(flavour: SimdFlavour): string {
  const f = new WatFn(flavour, 'bwd_in', [
    ['W', 'i32'],
    ['G', 'i32'],
    ['D', 'i32'],
    ['Gn', 'i32'],
    ['O', 'i32'],
    ['I', 'i32'],
    ['P', 'i32'],
  ]);
  const [P4, I4, p, i, o, gp, wp, a] = f.ints('P4', 'I4', 'p', 'i', 'o', 'gp', 'wp', 'a');
  const block = (ri: number): string => {
    const acc = (r: number, v: number): string => f.v(`acc${r}_${v}`);
    let init = '';
    for (let r = 0; r < ri; r++) for (let v = 0; v < RP; v++) init += set(acc(r, v), vconst(0));
    init +=
      set(gp, add(get('$G'), `(i32.shl ${get(p)} (i32.const 2))`)) +
      set(wp, add(get('$W'), `(i32.shl ${get(i)} (i32.const 2))`)) +
      set(o, get('$O'));
    let inner = '';
    for (let v = 0; v < RP; v++) inner += set(f.v(`g${v}`), `(v128.load offset=${16 * v} ${get(gp)})`);
    for (let r = 0; r < ri; r++) {
      // W[o, i + r] sits 4r bytes after W[o, i]: one pointer, immediate offsets.
      inner += set(f.v('w'), `(v128.load32_splat offset=${4 * r} ${get(wp)})`);
      for (let v = 0; v < RP; v++)
        inner += set(acc(r, v), f.madd(get(f.v('w')), get(f.v(`g${v}`)), get(acc(r, v))));
    }
    inner +=
      set(gp, add(get(gp), get(P4))) +
      set(wp, add(get(wp), get(I4))) +
      set(o, `(i32.sub ${get(o)} (i32.const 1))`);
    let out = '';
    for (let r = 0; r < ri; r++) {
      out += set(a, add(mul(add(get(i), i32(r)), get(P4)), `(i32.shl ${get(p)} (i32.const 2))`));
      for (let v = 0; v < RP; v++)
        out += store(
          add(get('$Gn'), get(a)),
          16 * v,
          fmul(get(acc(r, v)), `(v128.load offset=${16 * v} ${add(get('$D'), get(a))})`),
        );
    }
    return `${init}(loop $k${ri}\n${inner}(br_if $k${ri} ${get(o)}))\n${out}`;
  };
  const body =
    set(P4, `(i32.shl ${get('$P')} (i32.const 2))`) +
    set(I4, `(i32.shl ${get('$I')} (i32.const 2))`) +
    forLoop(
      p,
      i32(0),
      get('$P'),
      i32(4 * RP),
      set(i, i32(0)) +
        whileLoop(`(i32.le_u ${add(get(i), i32(4))} ${get('$I')})`, block(4) + set(i, add(get(i), i32(4)))) +
        whileLoop(`(i32.lt_u ${get(i)} ${get('$I')})`, block(1) + set(i, add(get(i), i32(1)))),
    );
  return f.render(body);
}

/** Lane-level shuffle of two f32x4 vectors (lanes 0–3 from a, 4–7 from b). */
const shuffle = (lanes: number[], a: string, b: string): string =>
  `(i8x16.shuffle ${lanes.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]).join(' ')} ${a} ${b})`;

/** The four lane sums of a0…a3 as one vector [Σa0, Σa1, Σa2, Σa3]. */
function transposeSum(a: string[]): string {
  const pair = (x: string, y: string): string =>
    fadd(shuffle([0, 4, 1, 5], x, y), shuffle([2, 6, 3, 7], x, y));
  const u01 = pair(a[0]!, a[1]!);
  const u23 = pair(a[2]!, a[3]!);
  return fadd(shuffle([0, 1, 4, 5], u01, u23), shuffle([2, 3, 6, 7], u01, u23));
}

const hsum = (v: string): string =>
  `(f32.add (f32.add (f32x4.extract_lane 0 ${v}) (f32x4.extract_lane 1 ${v})) (f32.add (f32x4.extract_lane 2 ${v}) (f32x4.extract_lane 3 ${v})))`;

/** wgrad(G, H, dW, db, O, I, P): dW += G·Hᵀ and db += G·1 over the tile's pixels. */
export function weightGradFn(flavour: SimdFlavour): string {
  const f = new WatFn(flavour, 'wgrad', [
    ['G', 'i32'],
    ['H', 'i32'],
    ['dW', 'i32'],
    ['db', 'i32'],
    ['O', 'i32'],
    ['I', 'i32'],
    ['P', 'i32'],
  ]);
  const [P4, o, i, t, a] = f.ints('P4', 'o', 'i', 't', 'a');
  const block = (ro: number, ri: number): string => {
    const acc = (r: number, c: number): string => f.v(`acc${r}_${c}`);
    const gp = (r: number): string => f.i32(`gp${r}`);
    const hp = (c: number): string => f.i32(`hp${c}`);
    let init = '';
    for (let r = 0; r < ro; r++) {
      init += set(gp(r), add(get('$G'), mul(add(get(o), i32(r)), get(P4))));
      for (let c = 0; c < ri; c++) init += set(acc(r, c), vconst(0));
    }
    for (let c = 0; c < ri; c++) init += set(hp(c), add(get('$H'), mul(add(get(i), i32(c)), get(P4))));
    let inner = '';
    for (let r = 0; r < ro; r++) inner += set(f.v(`g${r}`), `(v128.load ${add(get(gp(r)), get(t))})`);
    for (let c = 0; c < ri; c++) {
      inner += set(f.v('h'), `(v128.load ${add(get(hp(c)), get(t))})`);
      for (let r = 0; r < ro; r++)
        inner += set(acc(r, c), f.madd(get(f.v(`g${r}`)), get(f.v('h')), get(acc(r, c))));
    }
    let out = '';
    for (let r = 0; r < ro; r++) {
      out += set(
        a,
        add(get('$dW'), `(i32.shl ${add(mul(add(get(o), i32(r)), get('$I')), get(i))} (i32.const 2))`),
      );
      if (ri === 4)
        out += store(
          get(a),
          0,
          fadd(`(v128.load ${get(a)})`, transposeSum([0, 1, 2, 3].map((c) => get(acc(r, c))))),
        );
      else out += `(f32.store ${get(a)} (f32.add (f32.load ${get(a)}) ${hsum(get(acc(r, 0)))}))\n`;
    }
    return init + forLoop(t, i32(0), get(P4), i32(16), inner) + out;
  };
  const cols = (ro: number): string =>
    set(i, i32(0)) +
    whileLoop(`(i32.le_u ${add(get(i), i32(4))} ${get('$I')})`, block(ro, 4) + set(i, add(get(i), i32(4)))) +
    whileLoop(`(i32.lt_u ${get(i)} ${get('$I')})`, block(ro, 1) + set(i, add(get(i), i32(1))));
  const bias = f.v('bsum');
  const body =
    set(P4, `(i32.shl ${get('$P')} (i32.const 2))`) +
    set(o, i32(0)) +
    whileLoop(`(i32.le_u ${add(get(o), i32(2))} ${get('$O')})`, cols(2) + set(o, add(get(o), i32(2)))) +
    whileLoop(`(i32.lt_u ${get(o)} ${get('$O')})`, cols(1) + set(o, add(get(o), i32(1)))) +
    forLoop(
      o,
      i32(0),
      get('$O'),
      i32(1),
      set(bias, vconst(0)) +
        set(a, add(get('$G'), mul(get(o), get(P4)))) +
        forLoop(
          t,
          i32(0),
          get(P4),
          i32(16),
          set(bias, fadd(get(bias), `(v128.load ${add(get(a), get(t))})`)),
        ) +
        set(a, add(get('$db'), `(i32.shl ${get(o)} (i32.const 2))`)) +
        `(f32.store ${get(a)} (f32.add (f32.load ${get(a)}) ${hsum(get(bias))}))\n`,
    );
  return f.render(body);
}
