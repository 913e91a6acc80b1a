/** `weightscope merge FILE… --method M --out F`: one model from several, mergekit's methods. */
import {
  MERGE_METHODS,
  METHOD_INFO,
  MergeInputError,
  mergeModels,
  repairModel,
  resolveParams,
  type Gradient,
  type MergeMethod,
  type MergeParams,
} from '../../engine/merge/index';
import type { Model } from '../../engine/model';
import type { EvalData } from '../../engine/data/eval-data';
import { CliError, UsageError, missing, type ParsedArgs } from '../args';
import { startTf } from '../backend';
import type { Command } from '../command';
import { loadEvalData } from '../data';
import { imageSideFor, imageSizeOf, SIZE_FLAG } from '../image-size';
import { ARCH_FLAGS, archFlags, loadModel, loadModels, sameArchitecture } from '../io';
import { checkOutPath, fileRef, writeModel } from '../output';

/** A number or a comma list (a per-layer gradient); NaN and junk refused with the flag named. */
function gradientFlag(args: ParsedArgs, name: string): Gradient | undefined {
  const raw = args.string(name);
  if (raw === undefined) return undefined;
  const parts = raw.split(',').map((s) => s.trim());
  const values = parts.map((p) => {
    const v = Number(p);
    if (p === '' || !Number.isFinite(v))
      throw new UsageError(
        `--${name} takes a number or a comma list of numbers (one per depth), got "${raw}"`,
      );
    return v;
  });
  return values.length === 1 ? values[0]! : values;
}

function weightsFlag(args: ParsedArgs): number[] | undefined {
  const raw = args.string('weights');
  if (raw === undefined) return undefined;
  return raw.split(',').map((p, i) => {
    const v = Number(p.trim());
    if (p.trim() === '' || !Number.isFinite(v))
      throw new UsageError(`--weights: weight ${i + 1} is "${p}"; every weight must be a finite number`);
    return v;
  });
}

function boolFlag(args: ParsedArgs, name: string): boolean | undefined {
  const v = args.string(name);
  return v === undefined ? undefined : v === 'true';
}

/** The parameters the method reads, defaults filled in, for the JSON and the file's metadata. */
function reportedParams(method: MergeMethod, p: MergeParams): Record<string, unknown> {
  const r = resolveParams(method, p);
  const info = METHOD_INFO[method];
  const out: Record<string, unknown> = {};
  if (info.weights) out.weights = p.weights ?? null;
  const gta = info.base === 'required' && method !== 'model_stock';
  if (gta) out.density = r.density;
  for (const k of Object.keys(info.defaults)) out[k] = r[k as keyof typeof r];
  return out;
}

export const merge: Command = {
  name: 'merge',
  summary:
    "Merge models into one with any of mergekit's methods, optionally after alignment and with REPAIR.",
  usage:
    'merge FILE… --out F [--method M] [--base B] [--weights w,…] [--density d] [--lambda l] [--gamma g] ' +
    '[--epsilon e] [--t t] [--normalize true|false] [--rescale true|false] [--seed N] ' +
    '[--align-to REF [--matching weight|activation|ste [--ste-steps N]]] [--repair --data D] [--json]',
  spec: {
    positionals: { names: ['FILE'], min: 1, variadic: true },
    flags: {
      out: { kind: 'string', arg: 'F', help: 'output file: .pt/.pth (PyTorch), .npz, else safetensors' },
      method: {
        kind: 'choice',
        choices: ['mean', ...MERGE_METHODS],
        help: 'merge method (default mean: the uniform soup, = linear with equal weights)',
      },
      base: {
        kind: 'string',
        arg: 'B',
        help: 'base model: task vectors are θ − base (required by task-vector methods)',
      },
      weights: { kind: 'string', arg: 'w,…', help: 'one weight per FILE (default 1 each)' },
      density: { kind: 'string', arg: 'd', help: 'fraction of each task vector kept, in (0, 1] (default 1)' },
      lambda: { kind: 'string', arg: 'l', help: 'scale of the merged task vector (default 1)' },
      gamma: { kind: 'string', arg: 'g', help: 'breadcrumbs: largest fraction dropped (default 0.01)' },
      epsilon: {
        kind: 'string',
        arg: 'e',
        help: 'della: keep probability spread density ± ε (default 0.15)',
      },
      t: {
        kind: 'string',
        arg: 't',
        help: 'slerp: position on the arc, 0 = first, 1 = second (default 0.5)',
      },
      normalize: {
        kind: 'choice',
        choices: ['true', 'false'],
        help: "divide by the weights' sum (default per method)",
      },
      rescale: {
        kind: 'choice',
        choices: ['true', 'false'],
        help: 'rescale sparsified task vectors (default per method)',
      },
      seed: { kind: 'int', arg: 'N', min: 0, help: 'seed of random drops and of matching (default 0)' },
      'align-to': { kind: 'string', arg: 'REF', help: 'align every model (and the base) to REF first' },
      matching: {
        kind: 'choice',
        choices: ['weight', 'activation', 'ste'],
        help: 'how to align with --align-to (default weight; ste needs --data)',
      },
      'ste-steps': {
        kind: 'int',
        arg: 'N',
        min: 1,
        max: 100000,
        help: 'gradient steps of --matching ste per model (default 30)',
      },
      repair: { kind: 'bool', help: "REPAIR the merge's hidden statistics on --data (Jordan et al. 2023)" },
      data: {
        kind: 'string',
        arg: 'D',
        help: 'an image (INR) or an .npz with x, y: for --repair, activation and ste',
      },
      ...SIZE_FLAG,
      ...ARCH_FLAGS,
    },
  },
  details: `
Methods follow mergekit (arcee-ai/mergekit) exactly, tensor by tensor:
  mean / linear      Σwᵢθᵢ (÷Σwᵢ with normalize, default): the model soup (Wortsman et al. 2022)
  task_arithmetic    base + λ·Σwᵢτᵢ, τᵢ = θᵢ − base (Ilharco et al. 2023)
  ties               top-density magnitudes, sign election, disjoint mean (Yadav et al. 2023)
  dare_linear/_ties  random drop at density, rescaled (Yu et al. 2024)
  breadcrumbs(_ties) drop the γ largest and the smallest, keep the band (Davari & Belilovsky 2024)
  della(_linear)     rank-based keep probabilities density ± ε (Deep et al. 2024)
  model_stock        base + t·(mean − base), t = N·cos/(1+(N−1)·cos) (Jang et al. 2024); ≥ 2 FILEs
  slerp              per-tensor great-circle interpolation at --t of two models (or base + one)
--density, --lambda, --gamma, --epsilon and --t take a comma list to vary over depth (mergekit's
gradients: layer l of L at t = l/(L−1)). Averaging networks trained apart only makes sense after
alignment (Ainsworth et al. 2023): --align-to REF aligns every FILE and the base to REF first.
--repair resets each hidden layer's pre-activation mean/std to the inputs' weighted statistics.

JSON fields: method, base (null without --base), models, params, aligned, repaired, out; also
inputs (= models), alignTo, matching.

Examples:
  weightscope merge a.pt b.pt c.pt --align-to a.pt --out soup.safetensors --json
  weightscope merge ft1.pt ft2.pt --base pre.pt --method ties --density 0.5 --out ties.safetensors`,
  async run(args) {
    const files = args.positionals;
    const out = args.string('out') ?? missing('out');
    const named = args.string('method') ?? 'mean';
    const method: MergeMethod = named === 'mean' ? 'linear' : (named as MergeMethod);
    if (method === 'slerp' && !args.string('base') && files.length !== 2)
      throw new UsageError(`--method slerp merges exactly 2 models (or --base and 1), got ${files.length}`);
    if (named === 'mean' && args.string('weights') !== undefined)
      throw new UsageError('--method mean weighs every model equally; use --method linear with --weights');
    const params: MergeParams = {};
    const weights = weightsFlag(args);
    if (weights) params.weights = weights;
    for (const k of ['density', 'lambda', 'gamma', 'epsilon', 't'] as const) {
      const g = gradientFlag(args, k);
      if (g !== undefined) params[k] = g;
    }
    const normalize = boolFlag(args, 'normalize');
    if (normalize !== undefined) params.normalize = normalize;
    const rescale = boolFlag(args, 'rescale');
    if (rescale !== undefined) params.rescale = rescale;
    const seed = args.number('seed') ?? 0;
    if (args.has('seed')) params.seed = seed;
    const matching = args.string('matching') ?? 'weight';
    const refPath = args.string('align-to');
    if (args.has('matching') && !refPath) throw new UsageError('--matching applies with --align-to REF');
    const repair = args.flag('repair');
    const dataPath = args.string('data');
    if (repair && !dataPath) throw new UsageError('--repair measures statistics on data: give --data D');
    if (matching === 'ste' && !dataPath) throw new UsageError('--matching ste trains on data: give --data D');
    const steSteps = args.number('ste-steps');
    if (steSteps !== undefined && matching !== 'ste')
      throw new UsageError('--ste-steps applies with --matching ste');

    checkOutPath(out);
    const flags = archFlags(args);
    const loaded = loadModels(files, flags);
    const basePath = args.string('base');
    const baseLoaded = basePath ? loadModel(basePath, flags) : undefined;
    if (baseLoaded) sameArchitecture(baseLoaded, loaded[0]!);
    let models = loaded.map((l) => l.model);
    let base = baseLoaded?.model;
    const { widths } = models[0]!.arch;
    const side = dataPath ? imageSideFor(args.number('size'), loaded) : undefined;
    const data: EvalData | undefined = dataPath
      ? loadEvalData(dataPath, widths[0]!, widths[widths.length - 1]!, side)
      : undefined;
    if (refPath) {
      const ref = loadModel(refPath, flags);
      sameArchitecture(ref, loaded[0]!);
      if (matching === 'ste') await startTf(args);
      const { matchModels } = await import('../../engine/tf/matching');
      const align = async (m: Model): Promise<Model> =>
        (
          await matchModels(ref.model, m, matching as 'weight', {
            seed,
            ...(data ? { data } : {}),
            ...(steSteps !== undefined ? { steSteps } : {}),
          })
        ).model;
      const aligned: Model[] = [];
      for (const m of models) aligned.push(await align(m));
      models = aligned;
      if (base) base = await align(base);
    }
    let merged: Model;
    try {
      merged = mergeModels(method, models, {
        ...(base ? { base } : {}),
        params,
        names: [...files],
        ...(basePath ? { baseName: basePath } : {}),
      });
    } catch (e) {
      if (e instanceof MergeInputError) throw new CliError(e.message);
      throw e;
    }
    if (repair) {
      const r = resolveParams(method, params);
      let endpoints = models;
      let coeffs: number[];
      if (method === 'slerp') {
        endpoints = base ? [base, models[0]!] : models;
        const t = typeof r.t === 'number' ? r.t : r.t[0]!;
        coeffs = [1 - t, t];
      } else if (method === 'linear' && weights) {
        const s = weights.reduce((a, b) => a + b, 0);
        coeffs = weights.map((w) => w / s);
      } else coeffs = models.map(() => 1 / models.length);
      merged = repairModel(merged, endpoints, coeffs, data!.x, data!.n).model;
    }
    const reported = reportedParams(method, params);
    writeModel(
      out,
      merged,
      {
        command: 'merge',
        inputs: [...files, ...(basePath ? [basePath] : []), ...(dataPath ? [dataPath] : [])].map(fileRef),
        method: named,
        options: {
          base: basePath ? fileRef(basePath) : null,
          params: reported,
          alignTo: refPath ? fileRef(refPath) : null,
          matching: refPath ? matching : null,
          ...(steSteps !== undefined ? { steSteps } : {}),
          repair: repair && dataPath ? fileRef(dataPath) : null,
        },
        ...imageSizeOf(loaded[0]!.contents.metadata),
      },
      loaded[0]!.layout,
    );
    const json = {
      method: named,
      base: basePath ?? null,
      models: [...files],
      params: reported,
      aligned: !!refPath,
      repaired: repair,
      out,
      inputs: [...files],
      alignTo: refPath ?? null,
      matching: refPath ? matching : null,
    };
    const how = [refPath ? `aligned to ${refPath} by ${matching} matching` : '', repair ? 'REPAIRed' : '']
      .filter(Boolean)
      .join(', ');
    return {
      json,
      text: `${named} of ${files.length} model(s)${basePath ? ` on base ${basePath}` : ''}${how ? ` (${how})` : ''} → ${out}`,
    };
  },
};
