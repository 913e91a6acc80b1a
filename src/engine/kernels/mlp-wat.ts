/**
 * Generates the MLP population kernel as WebAssembly text: a whole full-batch Adam step of a
 * population in one call. For each member: its gradient is zeroed, then every tile of P pixels
 * goes forward through all layers (activations stay in the tile buffers, in cache), the loss
 * gradient is formed, and the tile goes back down accumulating dW and db; after the member's last
 * tile, Adam updates its parameters in place (PyTorch's Adam, Kingma & Ba 2015, Alg. 1, in the
 * operation order of src/engine/tf/trainer.ts), or SGD with momentum for classifiers (CFG.optimizer;
 * both with optional L2 decay, as src/engine/tf/optimizers.ts). Members are independent, so members outer and
 * tiles inner keeps one member's weights and gradient in L1/L2 while its tiles stream through.
 * Each member's mask row and loss scale are read at a stride (CFG.maskStride, CFG.scaleStride), so
 * that members on random pixel subsets of their own sizes each take the mean over their own pixels.
 *
 * Two flavours are generated from the same source: plain SIMD (mul + add) and relaxed SIMD
 * (fused multiply–add in the products); the driver picks one at load time.
 * Built by scripts/build-wasm.mjs (`npm run wasm`) into mlp-wasm.ts.
 */
import { forwardFn, inputGradFn, weightGradFn, type Epilogue } from './gemm-wat';
import { ACT, CFG, LOSS, OPT } from './layout';
import { exp, log, sincos } from './simd-math';
import {
  add,
  cfg,
  cfgAt,
  forLoop,
  get,
  i32,
  mul,
  resetLabels,
  set,
  vconst,
  whileLoop,
  WatFn,
  type SimdFlavour,
} from './wat';

const fmul = (a: string, b: string): string => `(f32x4.mul ${a} ${b})`;
const fadd = (a: string, b: string): string => `(f32x4.add ${a} ${b})`;
const fsub = (a: string, b: string): string => `(f32x4.sub ${a} ${b})`;
const load = (addr: string): string => `(v128.load ${addr})`;
const store = (addr: string, value: string): string => `(v128.store ${addr} ${value})\n`;
const shl2 = (x: string): string => `(i32.shl ${x} (i32.const 2))`;
const hsum = (v: string): string =>
  `(f32.add (f32.add (f32x4.extract_lane 0 ${v}) (f32x4.extract_lane 1 ${v})) (f32.add (f32x4.extract_lane 2 ${v}) (f32x4.extract_lane 3 ${v})))`;

/** H_0 for member k, tile t: the inputs' columns, or their random Fourier features. */
function loadInputFn(flavour: SimdFlavour): string {
  const f = new WatFn(
    flavour,
    'load_input',
    [
      ['k', 'i32'],
      ['t', 'i32'],
    ],
    undefined,
    false,
  );
  const [P4, NP4, col, h0, j, fi, p, bp, xp, F, inputs, xb] = f.ints(
    'P4',
    'NP4',
    'col',
    'h0',
    'j',
    'fi',
    'p',
    'bp',
    'xp',
    'F',
    'inputs',
    'xb',
  );
  const [s, u, sv, cv] = f.vecs('s', 'u', 'sv', 'cv');
  // Fourier features (Tancik et al. 2020): γ = [sin 2πBx, cos 2πBx], rows 0…F−1 then F…2F−1,
  // the projection summed in the order tfjs's matmul does (x₀B₀ + x₁B₁), then scaled by 2π.
  const features =
    set(bp, add(cfg(CFG.encoding), mul(mul(get('$k'), mul(get(F), get(inputs))), i32(4)))) +
    forLoop(
      fi,
      i32(0),
      get(F),
      i32(1),
      forLoop(
        p,
        i32(0),
        get(P4),
        i32(16),
        set(s, vconst(0)) +
          forLoop(
            j,
            i32(0),
            get(inputs),
            i32(1),
            set(xp, add(add(get(xb), mul(get(j), get(NP4))), add(get(col), get(p)))) +
              set(
                s,
                fadd(
                  get(s),
                  fmul(
                    `(v128.load32_splat ${add(get(bp), shl2(add(mul(get(fi), get(inputs)), get(j))))})`,
                    load(get(xp)),
                  ),
                ),
              ),
          ) +
          set(u, fmul(get(s), vconst(2 * Math.PI))) +
          sincos(f, u, sv, cv) +
          store(add(add(get(h0), mul(get(fi), get(P4))), get(p)), get(sv)) +
          store(add(add(get(h0), mul(add(get(F), get(fi)), get(P4))), get(p)), get(cv)),
      ),
    );
  const copy = forLoop(
    j,
    i32(0),
    get(inputs),
    i32(1),
    `(memory.copy ${add(get(h0), mul(get(j), get(P4)))} ${add(add(get(xb), mul(get(j), get(NP4))), get(col))} ${get(P4)})\n`,
  );
  const body =
    set(P4, shl2(cfg(CFG.tile))) +
    set(NP4, mul(get(P4), cfg(CFG.tiles))) +
    set(col, mul(get('$t'), get(P4))) +
    set(h0, cfgAt(CFG.hPtr, i32(0))) +
    set(F, cfg(CFG.features)) +
    set(inputs, cfg(CFG.inputs)) +
    // Member k's own inputs when each member has a batch of its own (CFG.batchPerMember).
    set(xb, add(cfg(CFG.x), mul(mul(get('$k'), cfg(CFG.batchPerMember)), mul(get(inputs), get(NP4))))) +
    `(if (i32.eqz ${get(F)}) (then\n${copy}) (else\n${features}))\n`;
  return f.render(body);
}

const HIDDEN: Epilogue[] = ['relu', 'sine', 'tanh', 'gelu'];

/** Forward through every layer for member k on the current tile; the output lands in g0. */
function forwardPassFn(flavour: SimdFlavour): string {
  const f = new WatFn(flavour, 'forward', [['k', 'i32']], undefined, false);
  const [pk, l, L, P, act, w, b] = f.ints('pk', 'l', 'L', 'P', 'act', 'w', 'b');
  const args = (z: string, d: string): string =>
    `${get(w)} ${get(b)} ${cfgAt(CFG.hPtr, get(l))} ${z} ${d} ${cfgAt(CFG.widths, add(get(l), i32(1)))} ${cfgAt(CFG.widths, get(l))} ${get(P)}`;
  const hiddenCall = HIDDEN.map(
    (a) =>
      `(if (i32.eq ${get(act)} (i32.const ${ACT[a as keyof typeof ACT]})) (then (call $fwd_${a} ${args(
        cfgAt(CFG.hPtr, add(get(l), i32(1))),
        cfgAt(CFG.dPtr, add(get(l), i32(1))),
      )})))\n`,
  ).join('');
  const body =
    set(pk, add(cfg(CFG.params), mul(mul(get('$k'), cfg(CFG.stride)), i32(4)))) +
    set(L, cfg(CFG.layers)) +
    set(P, cfg(CFG.tile)) +
    set(act, cfg(CFG.act)) +
    forLoop(
      l,
      i32(0),
      get(L),
      i32(1),
      set(w, add(get(pk), shl2(cfgAt(CFG.wOff, get(l))))) +
        set(b, add(get(pk), shl2(cfgAt(CFG.bOff, get(l))))) +
        `(if (i32.lt_u ${add(get(l), i32(1))} ${get(L)}) (then\n${hiddenCall}) (else (call $fwd_linear ${args(cfg(CFG.g0), i32(0))})))\n`,
    );
  return f.render(body);
}

/** Backward through every layer for member k, from the loss gradient in g0. */
function backwardPassFn(flavour: SimdFlavour): string {
  const f = new WatFn(flavour, 'backward', [['k', 'i32']], undefined, false);
  const [pk, l, P, g, gn, tmp, O, I] = f.ints('pk', 'l', 'P', 'g', 'gn', 'tmp', 'O', 'I');
  const grad = cfg(CFG.grad);
  const body =
    set(pk, add(cfg(CFG.params), mul(mul(get('$k'), cfg(CFG.stride)), i32(4)))) +
    set(P, cfg(CFG.tile)) +
    set(g, cfg(CFG.g0)) +
    set(gn, cfg(CFG.g1)) +
    set(l, cfg(CFG.layers)) +
    whileLoop(
      get(l),
      set(l, `(i32.sub ${get(l)} (i32.const 1))`) +
        set(O, cfgAt(CFG.widths, add(get(l), i32(1)))) +
        set(I, cfgAt(CFG.widths, get(l))) +
        `(call $wgrad ${get(g)} ${cfgAt(CFG.hPtr, get(l))} ${add(grad, shl2(cfgAt(CFG.wOff, get(l))))} ${add(grad, shl2(cfgAt(CFG.bOff, get(l))))} ${get(O)} ${get(I)} ${get(P)})\n` +
        `(if ${get(l)} (then\n` +
        `(call $bwd_in ${add(get(pk), shl2(cfgAt(CFG.wOff, get(l))))} ${get(g)} ${cfgAt(CFG.dPtr, get(l))} ${get(gn)} ${get(O)} ${get(I)} ${get(P)})\n` +
        set(tmp, get(g)) +
        set(g, get(gn)) +
        set(gn, get(tmp)) +
        '))\n',
    );
  return f.render(body);
}

/**
 * The loss functions' shared start: tile geometry, the prediction row, offset, and member k's
 * mask row and loss scale (shared by every member, or its own: random pixel subsets).
 */
function outputPrologue(f: WatFn): string {
  const [P4, NP4, col, C, pa, mb] = f.ints('P4', 'NP4', 'col', 'C', 'pa', 'mb');
  const [off, scale] = f.vecs('off', 'scale');
  return (
    set(P4, shl2(cfg(CFG.tile))) +
    set(NP4, mul(get(P4), cfg(CFG.tiles))) +
    set(col, mul(get('$t'), get(P4))) +
    set(C, cfgAt(CFG.widths, cfg(CFG.layers))) +
    set(pa, add(cfg(CFG.pred), mul(mul(get('$k'), get(C)), get(NP4)))) +
    set(mb, add(cfg(CFG.mask), mul(get('$k'), cfg(CFG.maskStride)))) +
    set(off, `(f32x4.splat (f32.load (i32.const ${CFG.outputOffset})))`) +
    set(scale, `(f32x4.splat (f32.load ${add(cfg(CFG.scales), mul(get('$k'), cfg(CFG.scaleStride)))}))`)
  );
}

/** A loss function (t, mode, k) of the output layer. */
const outputFn = (flavour: SimdFlavour, name: string, result?: string): WatFn =>
  new WatFn(
    flavour,
    name,
    [
      ['t', 'i32'],
      ['mode', 'i32'],
      ['k', 'i32'],
    ],
    result,
    false,
  );

/**
 * MSE on tile t for member k; returns the tile's sum of squared errors. mode 0 writes the
 * gradient 2(pred − y)/(N·C) into g0 (padding pixels masked to 0); mode 2 writes predictions.
 */
function outputMseFn(flavour: SimdFlavour): string {
  const f = outputFn(flavour, 'out_mse', 'f64');
  const [P4, NP4, col, C, c, p, ga, pa, ya, mb] = f.ints(
    'P4',
    'NP4',
    'col',
    'C',
    'c',
    'p',
    'ga',
    'pa',
    'ya',
    'mb',
  );
  const [off, scale, se, pred, d] = f.vecs('off', 'scale', 'se', 'pred', 'd');
  const inner =
    set(ga, add(add(cfg(CFG.g0), mul(get(c), get(P4))), get(p))) +
    set(pred, fadd(load(get(ga)), get(off))) +
    set(
      d,
      fmul(
        fsub(get(pred), load(add(add(get(ya), mul(get(c), get(NP4))), add(get(col), get(p))))),
        load(add(get(mb), add(get(col), get(p)))),
      ),
    ) +
    set(se, fadd(get(se), fmul(get(d), get(d)))) +
    `(if (i32.eqz ${get('$mode')}) (then ${store(get(ga), fmul(get(d), get(scale)))}))\n` +
    `(if (i32.eq ${get('$mode')} (i32.const 2)) (then ${store(add(get(pa), add(mul(get(c), get(NP4)), add(get(col), get(p)))), get(pred))}))\n`;
  const body =
    outputPrologue(f) +
    // Member k's target: the shared one (stride 0) or its own block (per-member targets).
    set(ya, add(cfg(CFG.y), mul(get('$k'), cfg(CFG.targetStride)))) +
    set(se, vconst(0)) +
    forLoop(c, i32(0), get(C), i32(1), forLoop(p, i32(0), get(P4), i32(16), inner)) +
    `(f64.promote_f32 ${hsum(get(se))})`;
  return f.render(body);
}

/**
 * Softmax cross-entropy on tile t (labels i32 in y; member k's own with CFG.batchPerMember).
 * mode 0 writes the gradient (softmax − onehot)·scale into g0 and returns the tile's summed
 * cross-entropy, logsumexp − picked logit, of the real examples (the loss of the weights the
 * step starts from, as tfjs reports it); mode 2 writes the logits and returns 0.
 */
function outputCeFn(flavour: SimdFlavour): string {
  const f = outputFn(flavour, 'out_ce', 'f64');
  const [P4, NP4, col, C, c, p, pa, yb, mb] = f.ints('P4', 'NP4', 'col', 'C', 'c', 'p', 'pa', 'yb', 'mb');
  const [off, scale, mx, z, e, sum, lab, mask, picked, ls, ce] = f.vecs(
    'off',
    'scale',
    'mx',
    'z',
    'e',
    'sum',
    'lab',
    'mask',
    'picked',
    'ls',
    'ce',
  );
  const slot = (): string => add(add(cfg(CFG.g0), mul(get(c), get(P4))), get(p));
  const isLabel = (): string => `(i32x4.eq ${get(lab)} (i32x4.splat ${get(c)}))`;
  const perPixel =
    set(lab, load(add(get(yb), add(get(col), get(p))))) +
    set(mask, load(add(get(mb), add(get(col), get(p))))) +
    set(mx, vconst(-Infinity)) +
    forLoop(
      c,
      i32(0),
      get(C),
      i32(1),
      set(z, fadd(load(slot()), get(off))) +
        set(mx, `(f32x4.max ${get(mx)} ${get(z)})`) +
        `(if (i32.eq ${get('$mode')} (i32.const 2)) (then ${store(add(get(pa), add(mul(get(c), get(NP4)), add(get(col), get(p)))), get(z))}))\n`,
    ) +
    `(if (i32.eqz ${get('$mode')}) (then\n` +
    set(sum, vconst(0)) +
    set(picked, vconst(0)) +
    forLoop(
      c,
      i32(0),
      get(C),
      i32(1),
      set(z, fsub(fadd(load(slot()), get(off)), get(mx))) +
        set(picked, `(v128.bitselect ${get(z)} ${get(picked)} ${isLabel()})`) +
        exp(f, z, e) +
        store(slot(), get(e)) +
        set(sum, fadd(get(sum), get(e))),
    ) +
    log(f, sum, ls) +
    set(ce, fadd(get(ce), fmul(fsub(get(ls), get(picked)), get(mask)))) +
    forLoop(
      c,
      i32(0),
      get(C),
      i32(1),
      store(
        slot(),
        fmul(
          fmul(
            fsub(`(f32x4.div ${load(slot())} ${get(sum)})`, `(v128.and ${isLabel()} ${vconst(1)})`),
            get(scale),
          ),
          get(mask),
        ),
      ),
    ) +
    '))\n';
  const body =
    outputPrologue(f) +
    set(yb, add(cfg(CFG.y), mul(mul(get('$k'), cfg(CFG.batchPerMember)), get(NP4)))) +
    set(ce, vconst(0)) +
    forLoop(p, i32(0), get(P4), i32(16), perPixel) +
    `(f64.promote_f32 ${hsum(get(ce))})`;
  return f.render(body);
}

const ADAM_SCALARS = ['lrbc1', 'b1', 'omb1', 'b2', 'omb2', 'sqrtbc2', 'eps'] as const;

/** g + λθ at byte offset `o` of gradient g and parameters p: L2 decay as optimizers.ts adds it. */
const decayed = (f: WatFn, g: string, p: string, o: string): string =>
  fadd(load(add(get(g), get(o))), fmul(load(add(get(p), get(o))), get(f.v('wd_v'))));
const splatDecay = (f: WatFn): string =>
  set(f.v('wd_v'), `(f32x4.splat (f32.load (i32.const ${CFG.weightDecay})))`);

/**
 * Adam on n floats, in trainer.ts's operation order: m = β₁m + (1−β₁)g; v = β₂v + (1−β₂)g²;
 * p −= (m / (√v/√bc₂ + ε))·(lr/bc₁), with g the gradient plus L2 decay λθ (0 for INRs: g + 0 is
 * g). Plain mul/add in both flavours, so that the update rounds exactly as the reference's does.
 */
function adamFn(flavour: SimdFlavour): string {
  const f = new WatFn(
    flavour,
    'adam',
    [
      ['p', 'i32'],
      ['g', 'i32'],
      ['m', 'i32'],
      ['v', 'i32'],
      ['n', 'i32'],
      ...ADAM_SCALARS.map((s): [string, string] => [s, 'f32']),
    ],
    undefined,
    false,
  );
  const o = f.i32('o');
  const [gv, mv, vv] = f.vecs('gv', 'mv', 'vv');
  const sv = Object.fromEntries(ADAM_SCALARS.map((s) => [s, f.v(`${s}_v`)]));
  const at = (base: string): string => add(get(base), get(o));
  const body =
    ADAM_SCALARS.map((s) => set(sv[s]!, `(f32x4.splat ${get(`$${s}`)})`)).join('') +
    splatDecay(f) +
    forLoop(
      o,
      i32(0),
      shl2(get('$n')),
      i32(16),
      set(gv, decayed(f, '$g', '$p', o)) +
        set(mv, fadd(fmul(load(at('$m')), get(sv.b1!)), fmul(get(gv), get(sv.omb1!)))) +
        set(vv, fadd(fmul(load(at('$v')), get(sv.b2!)), fmul(fmul(get(gv), get(gv)), get(sv.omb2!)))) +
        store(at('$m'), get(mv)) +
        store(at('$v'), get(vv)) +
        store(
          at('$p'),
          fsub(
            load(at('$p')),
            fmul(
              `(f32x4.div ${get(mv)} ${fadd(`(f32x4.div (f32x4.sqrt ${get(vv)}) ${get(sv.sqrtbc2!)})`, get(sv.eps!))})`,
              get(sv.lrbc1!),
            ),
          ),
        ),
    );
  return f.render(body);
}

/**
 * SGD with momentum μ on n floats, torch.optim.SGD's form (dampening 0, no Nesterov) in
 * optimizers.ts's operation order: d = g + λθ; b = μb + d; θ −= b·lr. The buffer b starts at
 * zero, so the first step's μ·0 + d is exactly d (torch starts it at d); μ = 0 is plain SGD.
 */
function sgdFn(flavour: SimdFlavour): string {
  const f = new WatFn(
    flavour,
    'sgd',
    [
      ['p', 'i32'],
      ['g', 'i32'],
      ['b', 'i32'],
      ['n', 'i32'],
      ['lr', 'f32'],
      ['mu', 'f32'],
    ],
    undefined,
    false,
  );
  const o = f.i32('o');
  const [bv, lrv, muv] = f.vecs('bv', 'lrv', 'muv');
  const at = (base: string): string => add(get(base), get(o));
  const body =
    set(lrv, `(f32x4.splat ${get('$lr')})`) +
    set(muv, `(f32x4.splat ${get('$mu')})`) +
    splatDecay(f) +
    forLoop(
      o,
      i32(0),
      shl2(get('$n')),
      i32(16),
      set(bv, fadd(fmul(load(at('$b')), get(muv)), decayed(f, '$g', '$p', o))) +
        store(at('$b'), get(bv)) +
        store(at('$p'), fsub(load(at('$p')), fmul(get(bv), get(lrv)))),
    );
  return f.render(body);
}

/**
 * step(k0, k1, optimiser scalars…): one step for members k0…k1−1. Adam takes the scalars as
 * named; SGD (CFG.optimizer) reads lr from the first and μ from the second, its buffer in m.
 * With `gradientsOnly` the entry is gradients(k0, k1) instead: the same forward and backward, but
 * each member's gradient is copied out to gradOut[k] and no optimiser step is taken (the caller
 * chains it elsewhere, e.g. to a curve's control point).
 */
function stepFn(flavour: SimdFlavour, gradientsOnly = false): string {
  const f = new WatFn(flavour, gradientsOnly ? 'gradients' : 'step', [
    ['k0', 'i32'],
    ['k1', 'i32'],
    ...(gradientsOnly ? [] : ADAM_SCALARS.map((s): [string, string] => [s, 'f32'])),
  ]);
  const [k, t, s4, off] = f.ints('k', 't', 's4', 'off');
  const se = f.f64('se');
  const body =
    set(s4, shl2(cfg(CFG.stride))) +
    forLoop(
      k,
      get('$k0'),
      get('$k1'),
      i32(1),
      `(memory.fill ${cfg(CFG.grad)} (i32.const 0) ${get(s4)})\n` +
        set(se, '(f64.const 0)') +
        forLoop(
          t,
          i32(0),
          cfg(CFG.tiles),
          i32(1),
          `(call $load_input ${get(k)} ${get(t)})\n(call $forward ${get(k)})\n` +
            `(if (i32.eq ${cfg(CFG.loss)} (i32.const ${LOSS.mse})) (then ${set(se, `(f64.add ${get(se)} (call $out_mse ${get(t)} (i32.const 0) ${get(k)}))`)}) (else ${set(se, `(f64.add ${get(se)} (call $out_ce ${get(t)} (i32.const 0) ${get(k)}))`)}))\n` +
            `(call $backward ${get(k)})\n`,
        ) +
        `(f64.store ${add(cfg(CFG.lossOut), `(i32.shl ${get(k)} (i32.const 3))`)} ${get(se)})\n` +
        set(off, mul(get(k), get(s4))) +
        (gradientsOnly
          ? `(memory.copy ${add(cfg(CFG.gradOut), get(off))} ${cfg(CFG.grad)} ${get(s4)})\n`
          : `(if (i32.eq ${cfg(CFG.optimizer)} (i32.const ${OPT.sgd})) (then\n` +
            `(call $sgd ${add(cfg(CFG.params), get(off))} ${cfg(CFG.grad)} ${add(cfg(CFG.m), get(off))} ${cfg(CFG.stride)} ${get('$lrbc1')} ${get('$b1')})) (else\n` +
            `(call $adam ${add(cfg(CFG.params), get(off))} ${cfg(CFG.grad)} ${add(cfg(CFG.m), get(off))} ${add(cfg(CFG.v), get(off))} ${cfg(CFG.stride)} ${ADAM_SCALARS.map((s) => get(`$${s}`)).join(' ')})))\n`),
    );
  return f.render(body);
}

/** evaluate(k0, k1, mode): forward only; per-member SSE into lossOut, predictions when mode = 2. */
function evaluateFn(flavour: SimdFlavour): string {
  const f = new WatFn(flavour, 'evaluate', [
    ['k0', 'i32'],
    ['k1', 'i32'],
    ['mode', 'i32'],
  ]);
  const [k, t] = f.ints('k', 't');
  const se = f.f64('se');
  const body = forLoop(
    k,
    get('$k0'),
    get('$k1'),
    i32(1),
    set(se, '(f64.const 0)') +
      forLoop(
        t,
        i32(0),
        cfg(CFG.tiles),
        i32(1),
        `(call $load_input ${get(k)} ${get(t)})\n(call $forward ${get(k)})\n` +
          `(if (i32.eq ${cfg(CFG.loss)} (i32.const ${LOSS.mse})) (then ${set(se, `(f64.add ${get(se)} (call $out_mse ${get(t)} ${get('$mode')} ${get(k)}))`)}) (else (drop (call $out_ce ${get(t)} (i32.const 2) ${get(k)}))))\n`,
      ) +
      `(f64.store ${add(cfg(CFG.lossOut), `(i32.shl ${get(k)} (i32.const 3))`)} ${get(se)})\n`,
  );
  return f.render(body);
}

/** sincos_test(src, dst, n): sin, cos and exp of n floats (n a multiple of 4), for the accuracy tests. */
function sincosTestFn(flavour: SimdFlavour): string {
  const f = new WatFn(flavour, 'sincos_test', [
    ['src', 'i32'],
    ['dst', 'i32'],
    ['n', 'i32'],
  ]);
  const o = f.i32('o');
  const [x, s, c, e] = f.vecs('x', 's', 'c', 'e');
  const n4 = shl2(get('$n'));
  const body = forLoop(
    o,
    i32(0),
    n4,
    i32(16),
    set(x, load(add(get('$src'), get(o)))) +
      sincos(f, x, s, c) +
      exp(f, x, e) +
      store(add(get('$dst'), get(o)), get(s)) +
      store(add(add(get('$dst'), n4), get(o)), get(c)) +
      store(add(add(get('$dst'), `(i32.shl ${n4} (i32.const 1))`), get(o)), get(e)),
  );
  return f.render(body);
}

/** The whole module's text for one flavour; deterministic (the committed binary is checked). */
export function mlpKernelWat(flavour: SimdFlavour): string {
  resetLabels();
  const parts = [
    ';; Generated by src/engine/kernels/mlp-wat.ts; see there. Memory map: src/engine/kernels/layout.ts.',
    '(module',
    '(import "env" "memory" (memory 1))',
    ...(['linear', ...HIDDEN] as Epilogue[]).map((a) => forwardFn(flavour, a)),
    inputGradFn(flavour),
    weightGradFn(flavour),
    loadInputFn(flavour),
    forwardPassFn(flavour),
    backwardPassFn(flavour),
    outputMseFn(flavour),
    outputCeFn(flavour),
    adamFn(flavour),
    sgdFn(flavour),
    stepFn(flavour),
    stepFn(flavour, true),
    evaluateFn(flavour),
    sincosTestFn(flavour),
    ')',
  ];
  return parts.join('\n');
}
