/** Plotly's default ten trace colours (d3 category10), for charts of many members or labels. */
export const CATEGORY10 = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
] as const;

/** The colour of series `i`, cycling through the palette. */
export const seriesColour = (i: number): string => CATEGORY10[i % CATEGORY10.length]!;
