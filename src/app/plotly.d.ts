/** What the app uses of plotly's partial bundles (the same API in each). */
interface PlotlyApi {
  react(el: HTMLElement, data: unknown[], layout?: unknown, config?: unknown): Promise<unknown>;
  newPlot(el: HTMLElement, data: unknown[], layout?: unknown, config?: unknown): Promise<unknown>;
  purge(el: HTMLElement): void;
  downloadImage(
    el: HTMLElement,
    opts: { format: 'png' | 'svg'; filename: string; width?: number; height?: number },
  ): Promise<string>;
  Plots: { resize(el: HTMLElement): void };
}

/**
 * A plotly bundle as the build and the dev server serve it (scripts/vite-csp.ts, slicePlotly):
 * its inner modules as thunks, dependencies first, and the entry that returns the API once they
 * have run (calling it first evaluates whatever is left in one go).
 */
interface SlicedPlotly {
  readonly __weightscopeSliced: true;
  readonly modules: readonly (() => unknown)[];
  entry(): PlotlyApi;
}

declare module 'plotly.js-cartesian-dist-min' {
  const Plotly: SlicedPlotly;
  export default Plotly;
}

declare module 'plotly.js-gl3d-dist-min' {
  const Plotly: SlicedPlotly;
  export default Plotly;
}
