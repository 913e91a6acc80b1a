import './styles.css';

/**
 * The entry: it loads the app in stages, each evaluated in a task of its own, so that no single
 * task blocks the main thread while the page starts. Evaluating one bundle of everything took
 * 113 + 56 ms of main thread on a quiet 2-core machine (190 ms of thread time under load;
 * `npm run bench -- --only longtasks`), mostly react-dom, zod and the schemas it builds at
 * import time, and fflate's tables. A module already evaluated by an earlier stage is not
 * evaluated again by a later one.
 *
 * plotly is not here either: it loads where a chart first needs it (components/Plot.tsx).
 */
const nextTask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

async function start(): Promise<void> {
  // react, scheduler and react-dom (~0.5 MB of source).
  const { createRoot } = await import('react-dom/client');
  await nextTask();
  // zod's configuration, set before any schema is built (the CSP allows no eval).
  await import('../engine/experiment/zod-jitless');
  await nextTask();
  // The experiment schemas, built at import time: zod and the old versions' schemas (migrate),
  // model ids and the Merge tab's part, the engine schedule, then the experiment itself. As one
  // stage this was the start-up's longest task (30–46 ms of CPU in a trace); split, 8–12 ms each.
  await import('../engine/experiment/migrate');
  await nextTask();
  await import('../engine/experiment/merge-schema');
  await nextTask();
  await import('../engine/experiment/engine-schedule');
  await nextTask();
  await import('../engine/experiment/schema');
  await nextTask();
  // fflate builds its Huffman tables at import time (share links are deflated).
  await import('fflate');
  await nextTask();
  // The app itself (the Train tab; the other tabs load when first shown).
  const { mountApp } = await import('./mount');
  await nextTask();
  mountApp(createRoot);
}

void start();
