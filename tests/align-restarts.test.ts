/**
 * Alignment restarts and the permutation export: several seeds keep the best objective, STE runs
 * in the worker's align job on the INR's image, and the aligned checkpoint's safetensors metadata
 * holds the permutations in a form a Python user can apply to the original file's tensors and get
 * the aligned file's tensors (checked with /usr/bin/python3 and NumPy, reading the file itself).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../src/engine/checkpoints';
import { initModel, type MlpArch } from '../src/engine/model';
import { matchModels, matchWithRestarts } from '../src/engine/tf/matching';
import type { PermutationRecord } from '../src/engine/align/permutation-export';
import { useBackend } from '../src/workers/backends';
import { runAlign } from '../src/workers/jobs/align';
import { exportModel } from '../src/workers/jobs/models';
import type { AlignJob, ImageTarget } from '../src/workers/protocol';
import { ModelRegistry } from '../src/workers/registry';
import { evalDataFor } from '../src/workers/jobs/score-data';
import { prepareInputs } from '../src/engine/tf/merge-run';
import { DEFAULT_STE_STEPS } from '../src/engine/merge/matching-name';
import type { MergeRecipe } from '../src/engine/merge';

const PYTHON = '/usr/bin/python3';
const hasNumpy = (() => {
  try {
    execFileSync(PYTHON, ['-c', 'import numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

beforeAll(async () => {
  await useBackend('cpu');
});

const image: ImageTarget = {
  kind: 'image',
  id: 'test:wave@8',
  image: {
    width: 8,
    height: 8,
    channels: 1,
    data: Float32Array.from({ length: 64 }, (_, i) => 0.5 + 0.3 * Math.sin(i)),
  },
};
const ctx = () => ({ signal: new AbortController().signal, progress: () => undefined });

/** Two seeded nets of `arch` in a fresh registry, and an STE job aligning the second to the first. */
function steJobOf(arch: MlpArch, extra: Partial<AlignJob>): { registry: ModelRegistry; job: AlignJob } {
  const registry = new ModelRegistry();
  const [ref, b] = [1, 2].map(
    (s) =>
      registry.add(initModel(arch, s), { name: `net ${s}`, source: 'sample', identity: `sample:net-${s}` })
        .id,
  ) as [string, string];
  const job: AlignJob = {
    refId: ref,
    modelIds: [b],
    method: 'ste',
    signed: 'auto',
    seed: 0,
    target: image,
    heatmapLayer: 0,
    ...extra,
  };
  return { registry, job };
}

describe('alignment restarts', () => {
  it('weight matching: the kept restart has the highest objective; one restart is plain matching', async () => {
    const arch: MlpArch = { widths: [4, 24, 24, 24, 3], activation: 'relu' };
    const a = initModel(arch, 1);
    const b = initModel(arch, 2);
    const r = await matchWithRestarts(a, b, 'weight', 6, { seed: 5 });
    expect(r.restarts.map((x) => x.seed)).toEqual([5, 6, 7, 8, 9, 10]);
    const best = Math.max(...r.restarts.map((x) => x.objective));
    expect(r.restarts[r.bestIndex]!.objective).toBe(best);
    // On these networks the sweep order matters: restarts reach different optima, and the best
    // beats the first seed's.
    expect(new Set(r.restarts.map((x) => x.objective)).size).toBeGreaterThan(1);
    expect(best).toBeGreaterThan(r.restarts[0]!.objective);
    expect(r.best.objectiveAfter).toBe(best);
    expect(r.objective.better).toBe('higher');
    expect(r.best.proved).toBe(true);
    const one = await matchWithRestarts(a, b, 'weight', 1, { seed: 5 });
    const plain = await matchModels(a, b, 'weight', { seed: 5 });
    expect(one.best.perms).toEqual(plain.perms);
  });
});

describe('the align job with STE and restarts, and the permutations in the download', () => {
  it('STE keeps the lowest midpoint loss of its restarts, proves the function, exports its permutations', async () => {
    const { registry, job } = steJobOf(
      { widths: [2, 16, 16, 1], activation: 'sine', w0: 30 },
      { seed: 3, restarts: 2 },
    );
    const b = job.modelIds[0]!;
    const reply = await runAlign(job, registry, ctx());
    const r = reply.results[0]!;
    expect(r.method).toBe('ste');
    expect(r.proved).toBe(true);
    expect(r.restarts.map((x) => x.seed)).toEqual([3, 4]);
    expect(r.objective).toEqual({ name: 'midpoint loss', better: 'lower' });
    expect(r.restarts[r.bestRestart]!.objective).toBe(Math.min(...r.restarts.map((x) => x.objective)));
    expect(r.ste!.midpointLoss).toBe(r.restarts[r.bestRestart]!.objective);
    expect(r.ste!.midpointLoss).toBeLessThanOrEqual(r.ste!.weightMatchingLoss);
    // Cancelled during the first STE steps: AbortError, and nothing joins the workspace.
    const before = registry.ids();
    const ctrl = new AbortController();
    const steps: number[] = [];
    await expect(
      runAlign(job, registry, {
        signal: ctrl.signal,
        progress: (p) => {
          steps.push(p.done);
          if (steps.length === 2) ctrl.abort();
        },
      }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(steps.every((d) => d >= 0 && d < 1)).toBe(true);
    expect(registry.ids()).toEqual(before);
    // Without data STE is refused with the reason.
    await expect(runAlign({ ...job, target: null }, registry, ctx())).rejects.toThrow(
      /STE matching trains on data/,
    );

    const record = JSON.parse(r.entry.permutation!) as PermutationRecord;
    expect(record).toMatchObject({
      format: 'weightscope.permutation/1',
      method: 'ste',
      reference: { name: 'net 1', id: 'sample:net-1' },
      model: { name: 'net 2', id: 'sample:net-2' },
      seed: r.restarts[r.bestRestart]!.seed,
      signed: true,
    });
    expect(record.layers.map((l) => l.perm.length)).toEqual([16, 16]);
    const aligned = exportModel(r.entry.id, 'safetensors', registry).bytes;
    const original = exportModel(b, 'safetensors', registry).bytes;
    const meta = readCheckpoint([{ name: 'a.safetensors', bytes: aligned }]).metadata;
    expect(JSON.parse(meta['weightscope.permutation']!)).toEqual(record);

    if (!hasNumpy) return;
    const dir = mkdtempSync(path.join(tmpdir(), 'ws-perm-'));
    try {
      writeFileSync(path.join(dir, 'aligned.safetensors'), aligned);
      writeFileSync(path.join(dir, 'original.safetensors'), original);
      // A Python user's reading: the header's metadata, the permutation applied to the original.
      const script = `
import json, struct, sys
import numpy as np
def read(p):
    raw = open(p, 'rb').read()
    n = struct.unpack('<Q', raw[:8])[0]
    head = json.loads(raw[8:8 + n])
    meta = head.pop('__metadata__', {})
    body = raw[8 + n:]
    t = {k: np.frombuffer(body[v['data_offsets'][0]:v['data_offsets'][1]], dtype='<f4').reshape(v['shape']).copy() for k, v in head.items()}
    return t, meta
orig, _ = read(sys.argv[1] + '/original.safetensors')
al, meta = read(sys.argv[1] + '/aligned.safetensors')
rec = json.loads(meta['weightscope.permutation'])
out = {k: v.copy() for k, v in orig.items()}
for layer in rec['layers']:
    perm, signs = np.array(layer['perm']), np.array(layer['signs'], dtype=np.float32)
    for ax in layer['axes']:
        t = np.take(out[ax['tensor']], perm, axis=ax['axis'])
        shape = [1] * t.ndim
        shape[ax['axis']] = -1
        out[ax['tensor']] = t * signs.reshape(shape)
print(json.dumps({'method': rec['method'], 'maxdiff': max(float(np.abs(out[k] - al[k]).max()) for k in al)}))
`;
      const res = JSON.parse(execFileSync(PYTHON, ['-c', script, dir], { encoding: 'utf8' })) as {
        method: string;
        maxdiff: number;
      };
      expect(res.method).toBe('ste');
      expect(res.maxdiff).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("STE's step count, as the Align and Merge forms set it", () => {
  const arch: MlpArch = { widths: [2, 12, 12, 1], activation: 'sine', w0: 30 };

  it('the align job trains exactly the steps it is given (step 0 is weight matching)', async () => {
    const { registry, job } = steJobOf(arch, { steSteps: 4 });
    const r = (await runAlign(job, registry, ctx())).results[0]!;
    expect(r.ste!.lossPerStep).toHaveLength(5);
    expect(r.proved).toBe(true);
    const dflt = (await runAlign({ ...job, steSteps: undefined }, registry, ctx())).results[0]!;
    expect(dflt.ste!.lossPerStep).toHaveLength(DEFAULT_STE_STEPS + 1);
  });

  it("a merge recipe's align.steps reaches STE: its inputs are the ones STE of that many steps gives", async () => {
    const [a, b] = [3, 4].map((s) => initModel(arch, s));
    const models = new Map([
      ['sample:a', a!],
      ['sample:b', b!],
    ]);
    const data = evalDataFor(image, arch);
    const recipe = (steps?: number): MergeRecipe => ({
      method: 'linear',
      base: null,
      models: ['sample:a', 'sample:b'],
      params: {},
      align: { matching: 'ste', reference: 'sample:a', seed: 1, ...(steps ? { steps } : {}) },
      repair: false,
    });
    const three = await prepareInputs(recipe(3), models, data);
    const direct = await matchModels(a!, b!, 'ste', { seed: 1, data, steSteps: 3 });
    expect(three.inputs[1]!.params).toEqual(direct.model.params);
    expect((direct as { lossPerStep: number[] }).lossPerStep).toHaveLength(4);
    // Not vacuous: the default 30 steps keep another permutation here.
    const thirty = await prepareInputs(recipe(), models, data);
    expect(thirty.inputs[1]!.params).not.toEqual(three.inputs[1]!.params);
  });
});
