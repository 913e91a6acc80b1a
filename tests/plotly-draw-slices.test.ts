/**
 * plotly's draws in slices (src/app/components/plotly-draw-slices.ts): the sequencer that replaces
 * plotly's `Lib.syncOrAsync`, on a clock the test moves, with a yield that counts tasks.
 */
import { describe, expect, it } from 'vitest';
import { drawSlicer, installDrawSlices, type Sequence } from '../src/app/components/plotly-draw-slices';

/** A clock that steps advance, and a yield that resolves in a later (counted) task. */
function harness(budgetMs = 10) {
  const h = { t: 0, task: 0, log: [] as string[] };
  const yieldTask = (): Promise<void> =>
    new Promise((resolve) =>
      setTimeout(() => {
        h.task++;
        resolve();
      }, 0),
    );
  const slicer = drawSlicer(yieldTask, () => h.t, budgetMs);
  /** A step that costs `ms` on the clock and logs where (in which task) it ran. */
  const step = (name: string, ms: number, inner?: () => unknown) => (): unknown => {
    h.log.push(`${name}@${h.task}`);
    h.t += ms;
    return inner?.();
  };
  return { h, slicer, step };
}

describe('plotly draws in slices', () => {
  it('yields before a step of a draw once its slice has run the budget, and resumes in order', async () => {
    const { h, slicer, step } = harness(10);
    const steps = [step('a', 4), step('b', 4), step('c', 4), step('d', 12), step('e', 3), step('f', 3)];
    const done = slicer.draw(() => slicer.syncOrAsync(steps, null, () => 'drawn'));
    // The draw returned at once, a promise, with only its first slice done.
    expect(done).toBeInstanceOf(Promise);
    expect(h.log).toEqual(['a@0', 'b@0', 'c@0']);
    await expect(done).resolves.toBe('drawn');
    // c ended the first slice at 12 ms; d (12 ms) fills a slice alone; e and f share the last.
    expect(h.log).toEqual(['a@0', 'b@0', 'c@0', 'd@1', 'e@2', 'f@2']);
  });

  it('counts the draw call’s own work before its sequence (defaults, calculation) in the first slice', async () => {
    const { h, slicer, step } = harness(10);
    const done = slicer.draw(() => {
      h.t += 15;
      return slicer.syncOrAsync([step('a', 1), step('b', 1)], null);
    });
    expect(h.log).toEqual([]);
    await done;
    expect(h.log).toEqual(['a@1', 'b@1']);
  });

  it('leaves a sequence that is not an app draw as plotly runs it: synchronous, one task', () => {
    const { h, slicer, step } = harness(10);
    const out = slicer.syncOrAsync([step('a', 30), step('b', 30), step('c', 30)], null, () => 'sync');
    expect(out).toBe('sync');
    expect(h.log).toEqual(['a@0', 'b@0', 'c@0']);
  });

  it('never yields inside a nested sequence (some callers drop its promise), nor in a second one', async () => {
    const { h, slicer, step } = harness(10);
    const nested: Sequence = (s, a, f) => slicer.syncOrAsync(s, a, f);
    let inner: unknown = 'unset';
    const done = slicer.draw(() => {
      // A sequence in the draw's own work runs first (its first outermost sequence is sliced) …
      const steps = [
        step('a', 2, () => {
          // … and a nested one, over budget, returns synchronously within its step.
          inner = nested([step('a1', 20), step('a2', 20)], null, () => 'inner');
        }),
        step('b', 1),
      ];
      return slicer.syncOrAsync(steps, null);
    });
    expect(inner).toBe('inner');
    expect(h.log).toEqual(['a@0', 'a1@0', 'a2@0']);
    await done;
    expect(h.log).toEqual(['a@0', 'a1@0', 'a2@0', 'b@1']);
    // Once the draw's sequence has started, a further outermost sequence is not the draw's.
    const later = slicer.syncOrAsync([step('x', 30), step('y', 30)], null, () => 'plain');
    expect(later).toBe('plain');
  });

  it('waits for a step that returns a promise, as plotly does, and passes errors on', async () => {
    const { h, slicer, step } = harness(1000);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const done = slicer.draw(() => slicer.syncOrAsync([step('a', 1, () => gate), step('b', 1)], null));
    expect(h.log).toEqual(['a@0']);
    release();
    await done;
    expect(h.log).toEqual(['a@0', 'b@0']);
    const failing = slicer.draw(() =>
      slicer.syncOrAsync(
        [
          step('slow', 2000),
          () => {
            throw new Error('step failed');
          },
        ],
        null,
      ),
    );
    await expect(failing).rejects.toThrow('step failed');
    // A synchronous sequence throws synchronously.
    expect(() =>
      slicer.syncOrAsync(
        [
          () => {
            throw new Error('at once');
          },
        ],
        null,
      ),
    ).toThrow('at once');
  });

  it('installs into the one Lib of a bundle and makes newPlot and react app draws', async () => {
    const { h, slicer, step } = harness(10);
    const original: Sequence = () => 'plotly’s own';
    const lib = { syncOrAsync: original, coerce: () => 0, nestedProperty: () => 0 };
    // What plotly's newPlot does: its own work, then a sequence through Lib (looked up at call time).
    const api = {
      newPlot: (): unknown => {
        h.t += 11;
        return lib.syncOrAsync([step('framework', 1)], null, () => 'drawn');
      },
      react: (): unknown => lib.syncOrAsync([step('react', 1)], null, () => 'reacted'),
    };
    installDrawSlices(api, [{ exports: 1 }, lib, null, lib], slicer);
    expect(lib.syncOrAsync).not.toBe(original);
    const drawn = api.newPlot();
    expect(h.log).toEqual([]);
    await expect(drawn).resolves.toBe('drawn');
    expect(h.log).toEqual(['framework@1']);
    expect(api.react()).toBe('reacted');
  });

  it('refuses a bundle whose Lib it cannot find exactly once', () => {
    const { slicer } = harness();
    const api = { newPlot: () => 0, react: () => 0 };
    const lib = () => ({ syncOrAsync: () => 0, coerce: () => 0, nestedProperty: () => 0 });
    expect(() => installDrawSlices(api, [{}, null], slicer)).toThrow('found 0 times');
    expect(() => installDrawSlices(api, [lib(), lib()], slicer)).toThrow('found 2 times');
  });
});
