/**
 * The zoo's settings as JSON: under `weightscope.zoo` in a safetensors `__metadata__`, or as a
 * `meta.json` entry in an `.npz`. Untrusted: every field is checked and anything malformed is
 * refused by name, so a typo in a hand-written meta.json is reported rather than half-used.
 */
import { archFromMetadata } from '../checkpoints/architecture';
import type { MlpArch } from '../model';
import {
  classifierZooProblems,
  DEFAULT_CLASSIFIER_ZOO,
  type ClassifierZooSettings,
} from './classifier-source';
import { ZOO_LIMITS, ZooError, type InrSettings } from './types';

/** The JSON a zoo file carries. Every field optional; `arch` may be partial (activation only). */
export interface ZooMetaJson {
  format?: 'weightscope-zoo';
  version?: 1;
  arch?: Partial<MlpArch>;
  inr?: InrSettings;
  source?: string;
  labelNames?: string[];
  /** A classifier zoo's build settings (checked like the settings of a new build). */
  classifiers?: ClassifierZooSettings;
}

const isPosInt = (x: unknown, max: number): x is number =>
  typeof x === 'number' && Number.isSafeInteger(x) && x > 0 && x <= max;

/** Parses and validates the metadata text; `what` names the file in errors. */
export function parseZooMeta(text: string, what: string): ZooMetaJson {
  if (text.length > ZOO_LIMITS.maxMetaBytes)
    throw new ZooError(`${what}: zoo metadata is over ${ZOO_LIMITS.maxMetaBytes} bytes`);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new ZooError(`${what}: zoo metadata is not valid JSON (${(e as Error).message})`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new ZooError(`${what}: zoo metadata must be a JSON object`);
  const o = v as Record<string, unknown>;
  const out: ZooMetaJson = {};
  if (o.arch !== undefined) {
    const arch = archFromMetadata({ 'weightscope.arch': JSON.stringify(o.arch) });
    if (!arch)
      throw new ZooError(
        `${what}: zoo metadata "arch" is not an architecture; expected e.g. {"widths": [2, 32, 32, 1], "activation": "sine", "w0": 30}`,
      );
    out.arch = arch;
  }
  if (o.inr !== undefined) {
    const i = o.inr as Record<string, unknown>;
    if (
      typeof i !== 'object' ||
      i === null ||
      !isPosInt(i.height, 4096) ||
      !isPosInt(i.width, 4096) ||
      !isPosInt(i.channels, 4)
    )
      throw new ZooError(
        `${what}: zoo metadata "inr" must be {"height": H, "width": W, "channels": C} with H, W ≤ 4096 and C ≤ 4`,
      );
    out.inr = { height: i.height, width: i.width, channels: i.channels };
  }
  if (o.source !== undefined) {
    if (typeof o.source !== 'string' || o.source.length > 200)
      throw new ZooError(`${what}: zoo metadata "source" must be a short string`);
    out.source = o.source;
  }
  if (o.labelNames !== undefined) {
    const names = o.labelNames;
    if (
      !Array.isArray(names) ||
      names.length > ZOO_LIMITS.maxClasses ||
      !names.every((s) => typeof s === 'string' && s.length <= 100)
    )
      throw new ZooError(`${what}: zoo metadata "labelNames" must be a list of short strings`);
    out.labelNames = names as string[];
  }
  if (o.classifiers !== undefined) {
    const c = o.classifiers;
    if (typeof c !== 'object' || c === null || Array.isArray(c))
      throw new ZooError(`${what}: zoo metadata "classifiers" must be an object of build settings`);
    // Only the known keys, each required: a partial record would be read as settings it is not.
    const keys = Object.keys(DEFAULT_CLASSIFIER_ZOO) as (keyof ClassifierZooSettings)[];
    const missing = keys.filter((k) => !(k in c));
    if (missing.length) throw new ZooError(`${what}: zoo metadata "classifiers" lacks ${missing.join(', ')}`);
    const s = Object.fromEntries(
      keys.map((k) => [k, (c as Record<string, unknown>)[k]]),
    ) as unknown as ClassifierZooSettings;
    const problems = classifierZooProblems(s);
    if (problems.length) throw new ZooError(`${what}: zoo metadata "classifiers": ${problems.join('; ')}`);
    out.classifiers = s;
  }
  return out;
}

/** The JSON written for a zoo (the inverse of `parseZooMeta`). */
export function zooMetaJson(m: ZooMetaJson): string {
  return JSON.stringify({ format: 'weightscope-zoo', version: 1, ...m });
}
