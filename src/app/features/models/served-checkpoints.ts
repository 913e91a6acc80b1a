/**
 * Checkpoints `weightscope open FILE… | DIR` serves: the app fetches the listing on start and
 * imports each file through the usual worker path (inspect, then add), with the activation the
 * command was given, else the file's Weightscope metadata, else relu. With `--watch` it polls the
 * listing, so checkpoints a training script saves later join the workspace as they appear.
 * Served by anything else (vite dev, a static host) the listing is absent and nothing happens.
 */
import type { Activation } from '../../../engine/model';
import { ACTIVATIONS } from '../../../engine/model';
import { ask } from '../../engine-client';
import { sha256Hex } from '../../data/images';
import { addModels, showBanner } from '../../store';
import { rememberFile } from './models-state';

const LISTING = '/__weightscope/files';
const POLL_MS = 2000;

interface Listing {
  watch: boolean;
  files: { name: string; size: number; mtimeMs: number }[];
  options?: { activation?: string; w0?: number };
}

/** What was imported, by name → mtime, so a file saved again is imported again. */
const seen = new Map<string, number>();

function parseListing(v: unknown): Listing | null {
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  if (!Array.isArray(o.files)) return null;
  const files = o.files.filter(
    (f): f is Listing['files'][number] =>
      typeof f === 'object' &&
      f !== null &&
      typeof (f as { name?: unknown }).name === 'string' &&
      typeof (f as { mtimeMs?: unknown }).mtimeMs === 'number',
  );
  const opts = (typeof o.options === 'object' && o.options) || {};
  return { watch: o.watch === true, files, options: opts as Listing['options'] };
}

async function fetchListing(): Promise<Listing | null> {
  try {
    const r = await fetch(LISTING, { cache: 'no-store' });
    if (!r.ok || !(r.headers.get('content-type') ?? '').includes('json')) return null;
    return parseListing(await r.json());
  } catch {
    return null;
  }
}

/** Imports one served file; a file that cannot be read says why and the workspace stays as it was. */
async function importServed(name: string, options: Listing['options']): Promise<boolean> {
  try {
    const r = await fetch(`${LISTING}/${encodeURIComponent(name)}`, { cache: 'no-store' });
    if (!r.ok) throw new Error(`the server answered ${r.status}`);
    const bytes = new Uint8Array(await r.arrayBuffer());
    const sha256 = await sha256Hex(bytes);
    const info = await ask('inspect', { files: [{ name, bytes }] });
    const forced = ACTIVATIONS.includes(options?.activation as Activation)
      ? (options!.activation as Activation)
      : null;
    const activation = forced ?? info.suggested.activation ?? 'relu';
    const w0 = typeof options?.w0 === 'number' ? options.w0 : (info.suggested.w0 ?? 30);
    const entry = await ask('add-checkpoint', {
      token: info.token,
      name,
      activation,
      w0,
      outputOffset: info.suggested.outputOffset ?? 0,
      source: 'checkpoint',
      group: 'opened',
      note: `served by weightscope open; activation ${activation}${forced ? ' (--activation)' : info.suggested.activation ? ' (file metadata)' : ' (default; pass --activation)'}`,
    });
    const outputOffset = info.suggested.outputOffset ?? 0;
    addModels([{ ...entry, ref: `file:${sha256}` }]);
    rememberFile(name, sha256, { activation, w0, outputOffset });
    return true;
  } catch (e) {
    showBanner(
      'error',
      `${name} (from weightscope open) could not be read: ${e instanceof Error ? e.message : String(e)}. The workspace is unchanged.`,
    );
    return false;
  }
}

/** Imports every listed file not imported yet (or saved again since); returns how many joined. */
async function sync(listing: Listing): Promise<number> {
  let added = 0;
  for (const f of listing.files) {
    if (seen.get(f.name) === f.mtimeMs) continue;
    seen.set(f.name, f.mtimeMs);
    if (await importServed(f.name, listing.options)) added++;
  }
  return added;
}

/**
 * Loads the checkpoints `weightscope open` serves (none elsewhere) and, with `--watch`, keeps
 * polling for new ones. Returns how many files the listing held at start.
 */
export async function loadServedCheckpoints(): Promise<number> {
  const listing = await fetchListing();
  if (!listing) return 0;
  await sync(listing);
  if (listing.watch) {
    const poll = async (): Promise<void> => {
      const next = await fetchListing();
      const added = next ? await sync(next) : 0;
      if (added > 0)
        showBanner('info', `${added} new checkpoint(s) joined the workspace from the watched folder.`);
      setTimeout(() => void poll(), POLL_MS);
    };
    setTimeout(() => void poll(), POLL_MS);
  }
  return listing.files.length;
}
