/**
 * Model identity (DESIGN.md "Models are referenced by identity"). A spec names a model by what it
 * IS, never by where it sits in a workspace, so a link means the same model in any workspace:
 *
 * - `sample:<name>`: a sample checkpoint shipped in public/models (manifest id).
 * - `file:<sha256>`: a dropped checkpoint, by the SHA-256 of its (first) file's bytes. What the
 *   file cannot say (activation, w₀, output offset) travels beside it in the spec's `files`.
 * - `member:<experiment>/<i>`: member i of the population that the training settings hashing to
 *   `<experiment>` produce (trainingHash below): replaying re-trains it from its seeds.
 * - `aligned(<id> to <id>, <method>, <seed>[, signed=on|off][, restarts=<n>][, steps=<n>])`: the
 *   first model permuted onto the second (Git Re-Basin: weight, activation or STE matching); with
 *   restarts, seeds seed … seed+n−1 are tried and the best objective kept; `steps` is STE's
 *   gradient step count (only with ste, absent when it is the default 30).
 * - `merge(<method>, <params>, <id>, …)`: a merge of one or more models. `<params>` is `-` or
 *   `key=value;key=value` (values: numbers or words), keys sorted when formatted. For methods with
 *   a base model (task arithmetic, TIES, DARE, …) the FIRST id is the base.
 *
 * Strings are the wire form (readable in a link's JSON); `parseModelId` and `formatModelId` are
 * the one definition, and `formatModelId(parseModelId(s))` is the canonical spelling.
 */
import { DEFAULT_STE_STEPS, MAX_STE_STEPS } from '../merge/matching-name';

/** Structured model id. */
export type ModelId =
  | { kind: 'sample'; name: string }
  | { kind: 'file'; sha256: string }
  | { kind: 'member'; experiment: string; index: number }
  | {
      kind: 'aligned';
      model: ModelId;
      to: ModelId;
      method: 'weight' | 'activation' | 'ste';
      seed: number;
      /** Absent: "auto" (signed matching for odd activations). */
      signed?: 'on' | 'off';
      /** Restarts (seeds seed, seed+1, …) of which the best objective is kept; absent: 1. */
      restarts?: number;
      /** STE's gradient steps (ste only); absent: DEFAULT_STE_STEPS. */
      steps?: number;
    }
  | { kind: 'merge'; method: string; params: Record<string, number | string>; models: ModelId[] };

/** Longest id string accepted (a recipe of recipes stays far below this). */
export const MAX_MODEL_ID_CHARS = 2000;
/** Deepest recipe nesting accepted. */
export const MAX_RECIPE_DEPTH = 6;
/** Most models one merge names. */
export const MAX_MERGE_MODELS = 16;
/** Most alignment restarts an id (and the Align form) asks for. */
export const MAX_RESTARTS = 16;
/** Population members are 0 … 63. */
export const MAX_MEMBER_INDEX = 63;

/** Thrown for a malformed id; the message says where and what was expected. */
export class ModelIdError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelIdError';
  }
}

const SAMPLE = /^[a-z0-9-]{1,64}$/;
const SHA = /^[0-9a-f]{64}$/;
const HASH = /^[0-9a-f]{16}$/;
const WORD = /^[a-z][a-z0-9_]{0,31}$/;
const VALUE = /^[A-Za-z0-9_.+-]{1,32}$/;

/** The canonical string of an id. */
export function formatModelId(id: ModelId): string {
  switch (id.kind) {
    case 'sample':
      return `sample:${id.name}`;
    case 'file':
      return `file:${id.sha256}`;
    case 'member':
      return `member:${id.experiment}/${id.index}`;
    case 'aligned':
      return `aligned(${formatModelId(id.model)} to ${formatModelId(id.to)}, ${id.method}, ${id.seed}${id.signed ? `, signed=${id.signed}` : ''}${id.restarts && id.restarts > 1 ? `, restarts=${id.restarts}` : ''}${steStepsPart(id)})`;
    case 'merge': {
      const keys = Object.keys(id.params).sort();
      const params = keys.length === 0 ? '-' : keys.map((k) => `${k}=${String(id.params[k])}`).join(';');
      return `merge(${id.method}, ${params}, ${id.models.map(formatModelId).join(', ')})`;
    }
  }
}

/** `, steps=<n>` when an STE alignment runs other than the default step count. */
function steStepsPart(id: Extract<ModelId, { kind: 'aligned' }>): string {
  return id.method === 'ste' && id.steps !== undefined && id.steps !== DEFAULT_STE_STEPS
    ? `, steps=${id.steps}`
    : '';
}

/** Parses an id string (untrusted: from a link). Throws ModelIdError naming what is wrong. */
export function parseModelId(text: string): ModelId {
  if (typeof text !== 'string') throw new ModelIdError('a model id must be a string');
  if (text.length > MAX_MODEL_ID_CHARS)
    throw new ModelIdError(`a model id must be at most ${MAX_MODEL_ID_CHARS} characters`);
  const p = new Parser(text);
  const id = p.id(0);
  p.end();
  return id;
}

/** True when `text` parses as a model id. */
export function isModelId(text: string): boolean {
  try {
    parseModelId(text);
    return true;
  } catch {
    return false;
  }
}

/** Every file sha256, sample name and member id an id depends on (recipes included), deduplicated. */
export function leafIds(id: ModelId): ModelId[] {
  const out = new Map<string, ModelId>();
  const walk = (m: ModelId): void => {
    if (m.kind === 'aligned') {
      walk(m.model);
      walk(m.to);
    } else if (m.kind === 'merge') m.models.forEach(walk);
    else out.set(formatModelId(m), m);
  };
  walk(id);
  return [...out.values()];
}

/** A short human description ("sample rings-independent-1", "B aligned to A"), for banners. */
export function describeModelId(id: ModelId, fileName?: (sha256: string) => string | undefined): string {
  switch (id.kind) {
    case 'sample':
      return `sample model "${id.name}"`;
    case 'file':
      return `checkpoint ${fileName?.(id.sha256) ?? ''} (SHA-256 ${id.sha256.slice(0, 12)}…)`.replace(
        '  ',
        ' ',
      );
    case 'member':
      return `trained member #${id.index + 1} of experiment ${id.experiment}`;
    case 'aligned':
      return `${describeModelId(id.model, fileName)} aligned to ${describeModelId(id.to, fileName)}`;
    case 'merge':
      return `${id.method} merge of ${id.models.map((m) => describeModelId(m, fileName)).join(', ')}`;
  }
}

/** Recursive-descent reader over the id grammar above. */
class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  id(depth: number): ModelId {
    if (depth > MAX_RECIPE_DEPTH)
      throw new ModelIdError(`model recipes may nest at most ${MAX_RECIPE_DEPTH} deep`);
    if (this.take('aligned(')) return this.aligned(depth);
    if (this.take('merge(')) return this.merge(depth);
    const token = this.until(/[,)\s]/);
    const colon = token.indexOf(':');
    const kind = token.slice(0, colon);
    const rest = token.slice(colon + 1);
    if (colon > 0 && kind === 'sample' && SAMPLE.test(rest)) return { kind: 'sample', name: rest };
    if (colon > 0 && kind === 'file' && SHA.test(rest.toLowerCase()))
      return { kind: 'file', sha256: rest.toLowerCase() };
    if (colon > 0 && kind === 'member') {
      const m = /^([0-9a-f]{16})\/(\d{1,2})$/.exec(rest);
      if (m && Number(m[2]) <= MAX_MEMBER_INDEX && HASH.test(m[1]!))
        return { kind: 'member', experiment: m[1]!, index: Number(m[2]) };
    }
    throw new ModelIdError(
      `"${token.slice(0, 80)}" is not one of sample:<name>, file:<sha256>, member:<16 hex>/<0–63>, aligned(…), merge(…)`,
    );
  }

  private aligned(depth: number): ModelId {
    const model = this.id(depth + 1);
    this.expect(' to ');
    const to = this.id(depth + 1);
    this.expect(', ');
    const method = this.until(/[,)]/);
    if (method !== 'weight' && method !== 'activation' && method !== 'ste')
      throw new ModelIdError(`aligned(…) method must be weight, activation or ste (got "${method}")`);
    this.expect(', ');
    const seed = this.int(2 ** 31 - 1, 'aligned(…) seed');
    let signed: 'on' | 'off' | undefined;
    if (this.take(', signed=')) {
      const v = this.until(/[,)]/);
      if (v !== 'on' && v !== 'off') throw new ModelIdError(`signed must be on or off (got "${v}")`);
      signed = v;
    }
    let restarts = 1;
    if (this.take(', restarts=')) {
      restarts = this.int(MAX_RESTARTS, 'aligned(…) restarts');
      if (restarts < 1) throw new ModelIdError('aligned(…) restarts must be at least 1');
    }
    let steps = DEFAULT_STE_STEPS;
    if (this.take(', steps=')) {
      if (method !== 'ste') throw new ModelIdError('aligned(…) steps applies to ste matching only');
      steps = this.int(MAX_STE_STEPS, 'aligned(…) steps');
      if (steps < 1) throw new ModelIdError('aligned(…) steps must be at least 1');
    }
    this.expect(')');
    return {
      kind: 'aligned',
      model,
      to,
      method,
      seed,
      ...(signed ? { signed } : {}),
      ...(restarts > 1 ? { restarts } : {}),
      ...(steps !== DEFAULT_STE_STEPS ? { steps } : {}),
    };
  }

  private merge(depth: number): ModelId {
    const method = this.until(/[,)]/);
    if (!WORD.test(method)) throw new ModelIdError(`merge(…) method "${method.slice(0, 40)}" is not a name`);
    this.expect(', ');
    const paramText = this.until(/[,)]/);
    const params: Record<string, number | string> = Object.create(null) as Record<string, number | string>;
    if (paramText !== '-') {
      for (const pair of paramText.split(';')) {
        const eq = pair.indexOf('=');
        const k = pair.slice(0, eq);
        const v = pair.slice(eq + 1);
        if (eq < 1 || !WORD.test(k) || !VALUE.test(v) || k in params)
          throw new ModelIdError(
            `merge(…) parameter "${pair.slice(0, 40)}" must be key=value, each key once`,
          );
        const n = Number(v);
        params[k] = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(v) && Number.isFinite(n) ? n : v;
      }
    }
    const models: ModelId[] = [];
    while (this.take(', ')) {
      if (models.length >= MAX_MERGE_MODELS)
        throw new ModelIdError(`a merge names at most ${MAX_MERGE_MODELS} models`);
      models.push(this.id(depth + 1));
    }
    if (models.length === 0) throw new ModelIdError('merge(…) must name at least one model');
    this.expect(')');
    return { kind: 'merge', method, params: { ...params }, models };
  }

  end(): void {
    if (this.i !== this.s.length)
      throw new ModelIdError(`unexpected "${this.s.slice(this.i, this.i + 20)}" after the model id`);
  }

  private take(lit: string): boolean {
    if (!this.s.startsWith(lit, this.i)) return false;
    this.i += lit.length;
    return true;
  }

  private expect(lit: string): void {
    if (!this.take(lit))
      throw new ModelIdError(`expected "${lit}" at character ${this.i + 1} of the model id`);
  }

  private until(stop: RegExp): string {
    const start = this.i;
    while (this.i < this.s.length && !stop.test(this.s[this.i]!)) this.i++;
    return this.s.slice(start, this.i);
  }

  private int(max: number, what: string): number {
    const t = this.until(/[,)]/);
    if (!/^\d{1,10}$/.test(t) || Number(t) > max)
      throw new ModelIdError(`${what} must be a whole number 0–${max} (got "${t.slice(0, 20)}")`);
    return Number(t);
  }
}
