/** The matching methods by name (the implementations live in align/ and tf/). */
export type MatchingMethodName = 'weight' | 'activation' | 'ste';

export const MATCHING_NAMES: readonly MatchingMethodName[] = ['weight', 'activation', 'ste'];
