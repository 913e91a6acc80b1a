import type { Model } from '../engine/model';
import { paramCount } from '../engine/model';
import type { Tensor } from '../engine/tensor';
import type { ModelEntry, WorkspaceChange } from './protocol';

/** A tensor whose data owns its whole buffer, so that posting it copies no more than it holds. */
function tight(t: Tensor): Tensor {
  return t.data.byteLength === t.data.buffer.byteLength ? t : { shape: t.shape, data: t.data.slice() };
}

/**
 * The worker's models: weights live here, the app only ever sees `ModelEntry` metadata. Every
 * change is announced to `onChange` (the worker posts it: the client keeps copies, so that a
 * restarted worker gets its workspace back through `restore`).
 */
export class ModelRegistry {
  private readonly models = new Map<string, { entry: ModelEntry; model: Model }>();
  private counter = 0;
  onChange: ((change: WorkspaceChange) => void) | null = null;

  add(model: Model, meta: Omit<ModelEntry, 'id' | 'arch' | 'params'>): ModelEntry {
    this.counter += 1;
    const entry: ModelEntry = {
      ...meta,
      id: `m${this.counter}`,
      arch: model.arch,
      params: paramCount(model.arch),
    };
    this.models.set(entry.id, { entry, model });
    if (this.onChange) {
      const params = Object.fromEntries(Object.entries(model.params).map(([k, t]) => [k, tight(t)]));
      this.onChange({ kind: 'added', entry, model: { arch: model.arch, params } });
    }
    return entry;
  }

  /** Puts back a model a previous worker held, under its id; later ids do not collide with it. */
  restore(entry: ModelEntry, model: Model): void {
    this.models.set(entry.id, { entry, model });
    const n = Number(/^m(\d+)$/.exec(entry.id)?.[1] ?? 0);
    this.counter = Math.max(this.counter, n);
  }

  get(id: string): Model {
    const found = this.models.get(id);
    if (!found) throw new Error(`model ${id} is not in the workspace`);
    return found.model;
  }

  entry(id: string): ModelEntry {
    const found = this.models.get(id);
    if (!found) throw new Error(`model ${id} is not in the workspace`);
    return found.entry;
  }

  /** The ids held now, oldest first. */
  ids(): string[] {
    return [...this.models.keys()];
  }

  remove(id: string): void {
    if (this.models.delete(id)) this.onChange?.({ kind: 'removed', id });
  }
}
