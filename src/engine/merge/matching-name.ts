/** The matching methods by name (the implementations live in align/ and tf/). */
export type MatchingMethodName = 'weight' | 'activation' | 'ste';

export const MATCHING_NAMES: readonly MatchingMethodName[] = ['weight', 'activation', 'ste'];

/** STE matching's gradient steps when nothing says otherwise (Git Re-Basin Alg. 3). */
export const DEFAULT_STE_STEPS = 30;
/**
 * Most STE steps a link, a model id or the app's forms ask for: each step is a forward and
 * backward pass over the data plus a weight matching, about 0.1 s for a sample SIREN, so 500 steps
 * is about a minute per model and restart.
 */
export const MAX_STE_STEPS = 500;
