/** The experiment boundary: schema, versions, URL codec, and its one error class. */
export { ExperimentError, isExperimentError, type ExperimentErrorReason } from './errors';
export {
  ACTIVATIONS,
  BACKENDS,
  PATH_KINDS,
  PRESETS,
  VIEW_TABS,
  defaultExperiment,
  parseExperiment,
  type Activation,
  type BackendChoice,
  type DataSource,
  type ExperimentSpec,
  type FileModel,
  type PathKind,
  type ScoreSource,
  type ViewTab,
} from './schema';
export { EXPERIMENT_VERSION } from './migrate';
export {
  HASH_PREFIX,
  MAX_ENCODED_CHARS,
  MAX_INFLATED_BYTES,
  decodeExperimentHash,
  encodeExperiment,
  readHash,
  type HashContent,
} from './url';
export { experimentTrainingHash, plainFileName } from './schema';
export {
  describeModelId,
  formatModelId,
  isModelId,
  leafIds,
  parseModelId,
  ModelIdError,
  type ModelId,
} from './model-id';
export {
  modelsUsedByView,
  needsTraining,
  replayCost,
  LINK_COST_THRESHOLD_GFLOP,
  type ReplayCost,
} from './replay-plan';
export {
  ENGINE_PATHS,
  describePath,
  describeSchedule,
  onGpu,
  samePath,
  sameSchedule,
  type EnginePathName,
  type EngineSchedule,
  type EngineStep,
  type TrainedOn,
} from './engine-schedule';
