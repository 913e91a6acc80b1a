import { ImportBudget } from './budget';
import { jsonReader } from './json';
import { npyReader, npzReader } from './numpy';
import { legacyPytorchReader, pytorchReader } from './pytorch';
import { safetensorsIndexReader, safetensorsReader } from './safetensors';
import { tfjsReader } from './tfjs';
import {
  CheckpointError,
  type CheckpointContents,
  type CheckpointFile,
  type CheckpointReader,
} from './types';

/**
 * Every reader, in the order `match` is tried. Multi-file formats (an index or model.json plus
 * shards) come first; a new format is one file and one line here.
 */
export const READERS: readonly CheckpointReader[] = [
  safetensorsIndexReader,
  tfjsReader,
  safetensorsReader,
  pytorchReader,
  npzReader,
  npyReader,
  legacyPytorchReader,
  jsonReader,
];

/** Human list of supported formats, for error messages and the drop zone. */
export const SUPPORTED_FORMATS = READERS.filter((r) => r !== legacyPytorchReader).map((r) => r.label);

/** The reader whose magic bytes match, or null. */
export function findReader(files: CheckpointFile[]): CheckpointReader | null {
  return READERS.find((r) => r.match(files)) ?? null;
}

/**
 * Reads dropped files as one checkpoint, choosing the reader by magic bytes (never by file
 * extension). Always throws a `CheckpointError`: a failure that is not one (a reader bug) is
 * wrapped, so callers have one error type to show. One `budget` covers every file of the import.
 */
export function readCheckpoint(
  files: CheckpointFile[],
  budget: ImportBudget = new ImportBudget(),
): CheckpointContents {
  if (files.length === 0) throw new CheckpointError('unknown', 'no files given');
  budget.checkFiles(files, (m) => new CheckpointError('unknown', m));
  const reader = findReader(files);
  if (!reader) {
    const names = files.map((f) => f.name).join(', ');
    const many =
      files.length > 1
        ? ' (several files only go together as a sharded safetensors index or a TensorFlow.js model.json with its shards; drop other files one at a time)'
        : '';
    throw new CheckpointError(
      'unknown',
      `${names}: not a recognised checkpoint${many}. Supported: ${SUPPORTED_FORMATS.join('; ')}.`,
    );
  }
  try {
    return reader.read(files, budget);
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    throw new CheckpointError(
      reader.id,
      `${reader.label}: could not read ${files.map((f) => f.name).join(', ')} (${(e as Error).message})`,
      { cause: e },
    );
  }
}
