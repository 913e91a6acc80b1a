/** Model merging (mergekit's methods), per-layer gradients, and REPAIR. */
export { evaluateGradient, tensorDepth } from './gradient';
export { mergeModels, resolveParams, type MergeOptions, type ResolvedParams } from './merge';
export { modelStockRatio } from './model-stock';
export {
  MERGE_METHODS,
  METHOD_INFO,
  MergeInputError,
  PARAM_HINTS,
  type Gradient,
  type MergeMethod,
  type MergeParams,
  type MethodInfo,
  type ParamName,
} from './types';
export {
  columnStats,
  forwardCorrected,
  preActivationStats,
  repairModel,
  type LayerCorrection,
  type RepairResult,
  type UnitStats,
} from './repair';
export { repairedLerpPath } from './repair-path';
export { MATCHING_NAMES, type MatchingMethodName } from './matching-name';
export { recipeId, type MergeRecipe, type RecipeAlignment } from './recipe';
