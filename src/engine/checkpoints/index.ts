/** Checkpoint readers and writers: the public surface for the app, workers and CLI. */
export * from './types';
export { readCheckpoint, findReader, READERS, SUPPORTED_FORMATS } from './registry';
export {
  inferArchitecture,
  toModel,
  archFromMetadata,
  type ArchitectureInference,
  type ModelOptions,
} from './architecture';
export { writeSafetensors, writeNpz } from './writers';
export { parseNpy, readNpyShape, writeNpy } from './numpy';
export { ImportBudget, IMPORT_LIMITS, formatBytes, type ImportLimits } from './budget';
