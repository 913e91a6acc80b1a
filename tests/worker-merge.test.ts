/**
 * The worker's merge jobs and the REPAIR path kind, in Node with the real handler and registry:
 * a merge joins the workspace with its recipe (and its download carries it), a cancelled merge
 * adds nothing, the sweep answers one score per value, and "lerp after alignment + REPAIR" keeps
 * the endpoints and differs inside.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../src/engine/checkpoints';
import type { MergeRecipe } from '../src/engine/merge';
import { mergeRecipeSchema } from '../src/engine/experiment/merge-schema';
import { parseModelId } from '../src/engine/experiment/model-id';
import { recipeFromModelId, recipeModelId } from '../src/engine/experiment/recipe-model-id';
import { initModel, type MlpArch } from '../src/engine/model';
import { useBackend } from '../src/workers/backends';
import { createHandler } from '../src/workers/handler';
import type { ImageTarget, Payload, Reply, RequestType } from '../src/workers/protocol';

beforeAll(async () => {
  await useBackend('cpu');
});

function harness() {
  const waiters = new Map<number | null, (r: Reply) => void>();
  const handle = createHandler((r) => {
    if (r.type === 'result' || r.type === 'error') waiters.get(r.id)?.(r);
  });
  let next = 1;
  const send = <T extends RequestType>(type: T, payload: Payload<T>) => {
    const id = next++;
    const answer = new Promise<Reply>((resolve) => waiters.set(id, resolve));
    handle({ type, id, payload });
    return { id, answer };
  };
  const arch: MlpArch = { widths: [2, 16, 16, 1], activation: 'sine', w0: 30 };
  const entries = [1, 2, 3].map((s) =>
    handle.registry.add(initModel(arch, s), {
      name: `net ${s}`,
      source: 'sample',
      identity: `sample:net-${s}`,
    }),
  );
  const ids = Object.fromEntries(entries.map((e) => [e.identity!, e.id]));
  return { send, ids, registry: handle.registry };
}

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
const recipe: MergeRecipe = {
  method: 'ties',
  base: 'sample:net-1',
  models: ['sample:net-2', 'sample:net-3'],
  params: { density: 0.5 },
  align: { matching: 'weight', reference: 'sample:net-1', seed: 0 },
  repair: true,
};

describe('worker merge jobs', () => {
  it('a merge joins the workspace with its recipe; its download carries the recipe', async () => {
    const { send, ids, registry } = harness();
    const r = await send('merge', { recipe, ids, target: image, name: 'ties of 2 + 3 on 1' }).answer;
    expect(r.type).toBe('result');
    const reply = (r as Extract<Reply, { request: 'merge' }>).payload;
    expect(reply.scores.map((s) => s.role)).toEqual(['base', 'input', 'input', 'merge']);
    expect(reply.reconstruction).toHaveLength(64);
    expect(reply.entry).toMatchObject({ source: 'merge', name: 'ties of 2 + 3 on 1' });
    expect(registry.ids()).toHaveLength(4);
    const exp = await send('export', { modelId: reply.entry.id, format: 'safetensors' }).answer;
    const bytes = (exp as Extract<Reply, { request: 'export' }>).payload.bytes;
    const meta = readCheckpoint([{ name: 'm.safetensors', bytes }]).metadata;
    expect(JSON.parse(meta['weightscope.recipe']!)).toEqual(recipe);
    // The identity is a model id (the one grammar) that names the recipe back.
    expect(meta['weightscope.identity']).toBe(recipeModelId(recipe));
    expect(meta['weightscope.identity']).toBe(
      'merge(ties, align=weight;align_seed=0;align_to=0;density=0.5;repair=true, sample:net-1, sample:net-2, sample:net-3)',
    );
    const back = parseModelId(meta['weightscope.identity']!);
    expect(back.kind === 'merge' && recipeFromModelId(back)).toEqual(recipe);
  });

  it('merges of population members, and a merge of a merge (recipes nest, by identity)', async () => {
    const { send, registry } = harness();
    const arch: MlpArch = { widths: [2, 16, 16, 1], activation: 'sine', w0: 30 };
    const hash = '0123456789abcdef';
    const members = [0, 1, 2].map((i) =>
      registry.add(initModel(arch, 10 + i), {
        name: `member ${i}`,
        source: 'trained',
        identity: `member:${hash}/${i}`,
      }),
    );
    const ids: Record<string, string> = Object.fromEntries(members.map((e) => [e.identity!, e.id]));
    // The recipe as a link carries it: member ids pass the schema.
    const first = mergeRecipeSchema.parse({
      method: 'linear',
      models: [`member:${hash}/0`, `member:${hash}/1`],
      align: { matching: 'weight', reference: `member:${hash}/0` },
    }) as MergeRecipe;
    const r1 = await send('merge', { recipe: first, ids, target: image, name: 'soup of 0 + 1' }).answer;
    const merged = (r1 as Extract<Reply, { request: 'merge' }>).payload.entry;
    expect(merged.identity).toBe(recipeModelId(first));
    // The merge is an input of a second merge, named by its id; the schema takes the nested id.
    const nested = mergeRecipeSchema.parse({
      method: 'task_arithmetic',
      base: `member:${hash}/2`,
      models: [merged.identity!, `member:${hash}/1`],
      params: { lambda: 0.5, weights: [1, [0.5, 1, 2]] },
      align: { matching: 'weight', reference: `member:${hash}/0`, seed: 3 },
    }) as MergeRecipe;
    const r2 = await send('merge', {
      recipe: nested,
      ids: { ...ids, [merged.identity!]: merged.id },
      target: image,
      name: 'nested',
    }).answer;
    const outer = (r2 as Extract<Reply, { request: 'merge' }>).payload;
    expect(outer.scores.map((x) => x.role)).toEqual(['base', 'input', 'input', 'merge']);
    // The nested id parses back to the same recipe, with the inner merge's id inside it.
    const id = parseModelId(outer.entry.identity!);
    expect(id.kind === 'merge' && recipeFromModelId(id)).toEqual(nested);
    expect(outer.entry.identity).toContain(
      `merge(linear, align=weight;align_seed=0;align_to=0, member:${hash}/0`,
    );
    expect(outer.entry.identity).toContain('align_to=extra');
    // An id outside the grammar is refused by the schema, with the grammar's reason.
    expect(() => mergeRecipeSchema.parse({ method: 'linear', models: ['member:xyz/0'] })).toThrow(
      /must be a model id/,
    );
  });

  it('a cancelled merge answers AbortError and adds nothing; a missing model is named', async () => {
    const { send, ids, registry } = harness();
    const before = registry.ids();
    const job = send('merge', {
      recipe: { ...recipe, align: { ...recipe.align!, matching: 'ste' } },
      ids,
      target: image,
      name: 'x',
    });
    await new Promise((r) => setTimeout(r, 0));
    send('cancel', { job: job.id });
    expect(await job.answer).toMatchObject({ type: 'error', payload: { name: 'AbortError' } });
    expect(registry.ids()).toEqual(before);
    const lost = await send('merge', {
      recipe: { ...recipe, models: ['sample:gone'] },
      ids,
      target: image,
      name: 'x',
    }).answer;
    expect(lost).toMatchObject({
      type: 'error',
      payload: { message: expect.stringContaining('sample:gone') },
    });
  });

  it('the sweep answers one score per value', async () => {
    const { send, ids } = harness();
    const r = await send('merge-sweep', {
      recipe,
      ids,
      target: image,
      param: { kind: 'lambda' },
      values: [0, 0.5, 1],
    }).answer;
    const s = (r as Extract<Reply, { request: 'merge-sweep' }>).payload;
    expect(s.values).toEqual([0, 0.5, 1]);
    expect(s.loss).toHaveLength(3);
  });

  it('"lerp after alignment + REPAIR": same endpoints as the aligned lerp, other points inside', async () => {
    const { send, ids } = harness();
    const r = await send('paths', {
      aId: ids['sample:net-1']!,
      bId: ids['sample:net-2']!,
      kinds: ['lerp-aligned', 'lerp-repair'],
      points: 5,
      curveSteps: 0,
      curveSeed: 0,
      alignMethod: 'weight',
      target: image,
      filmstrip: 3,
    }).answer;
    const [plain, repaired] = (r as Extract<Reply, { request: 'paths' }>).payload;
    expect(repaired!.kind).toBe('lerp-repair');
    expect(repaired!.losses[0]).toBeCloseTo(plain!.losses[0]!, 6);
    expect(repaired!.losses[4]).toBeCloseTo(plain!.losses[4]!, 6);
    expect(repaired!.losses[2]).not.toBeCloseTo(plain!.losses[2]!, 6);
  });
});
