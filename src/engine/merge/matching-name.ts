/** The matching methods by name (the implementations live in align/ and tf/). */
export type MatchingMethodName = 'weight' | 'activation' | 'ste';

export const MATCHING_NAMES: readonly MatchingMethodName[] = ['weight', 'activation', 'ste'];

/** STE matching's gradient steps when nothing says otherwise (Git Re-Basin Alg. 3). */
export const DEFAULT_STE_STEPS = 30;
/**
 * Most STE steps a link, a model id or the app's forms ask for: each step is a forward and
 * backward pass over the data plus a weight matching, 35–70 ms for a sample SIREN in the browser
 * on a loaded 2-core machine, so 500 steps is at most about half a minute per model and restart.
 */
export const MAX_STE_STEPS = 500;
