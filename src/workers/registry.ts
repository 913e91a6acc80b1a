import type { Model } from '../engine/model';
import { paramCount } from '../engine/model';
import type { ModelEntry } from './protocol';

/** The worker's models: weights live here, the app only ever sees `ModelEntry` metadata. */
export class ModelRegistry {
  private readonly models = new Map<string, { entry: ModelEntry; model: Model }>();
  private counter = 0;

  add(model: Model, meta: Omit<ModelEntry, 'id' | 'arch' | 'params'>): ModelEntry {
    this.counter += 1;
    const entry: ModelEntry = {
      ...meta,
      id: `m${this.counter}`,
      arch: model.arch,
      params: paramCount(model.arch),
    };
    this.models.set(entry.id, { entry, model });
    return entry;
  }

  get(id: string): Model {
    const found = this.models.get(id);
    if (!found) throw new Error(`model ${id} is not in the workspace (was the worker restarted?)`);
    return found.model;
  }

  entry(id: string): ModelEntry {
    const found = this.models.get(id);
    if (!found) throw new Error(`model ${id} is not in the workspace (was the worker restarted?)`);
    return found.entry;
  }

  /** The ids held now, oldest first. */
  ids(): string[] {
    return [...this.models.keys()];
  }

  remove(id: string): void {
    this.models.delete(id);
  }
}
