/** Symmetry alignment: weight matching, activation matching and sign symmetry (Git Re-Basin). */
export { alignMany, alignModels, layerSimilarity } from './align';
export { activationMatching, correlationMatrix } from './activationMatching';
export {
  defaultProbePoints,
  isOddActivation,
  PROOF_TOLERANCE,
  proofVerdict,
  proveSameFunction,
  type AlignProof,
  resolveSigned,
  weightObjective,
} from './common';
export { AssignmentInputError, solveAssignment, type Assignment } from './lap';
export {
  applyPermutations,
  composePerms,
  identityPerm,
  invertPerm,
  makeSpec,
  mlpPermutationSpec,
  type AxisRef,
  type PermDef,
  type PermutationSpec,
} from './permspec';
export type { AlignMethod, AlignOptions, AlignProgress, AlignResult, SignMode } from './types';
export { weightMatching } from './weightMatching';
