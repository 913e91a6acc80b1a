import { startTransition, StrictMode } from 'react';
import type { createRoot as CreateRoot } from 'react-dom/client';
import { App } from './App';
import { appStore } from './store';
import { ask } from './engine-client';
import { pathsStore } from './features/paths/paths-state';

/**
 * Renders the app into #root. The first render is a transition, so React renders it in slices
 * that yield to the browser (about 5 ms each) instead of one long task; only the commit is one piece.
 */
export function mountApp(createRoot: typeof CreateRoot): void {
  const root = createRoot(document.getElementById('root')!);
  startTransition(() =>
    root.render(
      <StrictMode>
        <App />
      </StrictMode>,
    ),
  );

  // Read-only state and the worker's request function, for automation: the browser tests read
  // progress through it and `npm run bench` runs benchmarks in the real worker with it.
  (
    window as unknown as {
      __weightscope: {
        getState: typeof appStore.getState;
        ask: typeof ask;
        paths: typeof pathsStore.getState;
      };
    }
  ).__weightscope = { getState: appStore.getState, ask, paths: pathsStore.getState };
}
