declare module 'plotly.js-dist-min' {
  const Plotly: {
    react(el: HTMLElement, data: unknown[], layout?: unknown, config?: unknown): Promise<unknown>;
    purge(el: HTMLElement): void;
    downloadImage(
      el: HTMLElement,
      opts: { format: 'png' | 'svg'; filename: string; width?: number; height?: number },
    ): Promise<string>;
    Plots: { resize(el: HTMLElement): void };
  };
  export default Plotly;
}
