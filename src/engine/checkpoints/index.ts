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
export { writeSafetensors, writeNpz, writePt } from './writers';
export {
  exportTensors,
  layoutFromInference,
  sequentialLayout,
  type ExportTensor,
  type LayerLayout,
  type TensorLayout,
} from './layout';
export { type FloatDType } from './encode';
export { parseNpy, readNpyShape, writeNpy } from './numpy';
export { ImportBudget, IMPORT_LIMITS, formatBytes, type ImportLimits } from './budget';
