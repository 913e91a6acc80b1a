/** What the app uses of plotly's partial bundles (the same API in each). */
interface PlotlyApi {
  react(el: HTMLElement, data: unknown[], layout?: unknown, config?: unknown): Promise<unknown>;
  purge(el: HTMLElement): void;
  downloadImage(
    el: HTMLElement,
    opts: { format: 'png' | 'svg'; filename: string; width?: number; height?: number },
  ): Promise<string>;
  Plots: { resize(el: HTMLElement): void };
}

declare module 'plotly.js-cartesian-dist-min' {
  const Plotly: PlotlyApi;
  export default Plotly;
}

declare module 'plotly.js-gl3d-dist-min' {
  const Plotly: PlotlyApi;
  export default Plotly;
}
