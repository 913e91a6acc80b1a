import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { appStore } from './store';
import { ask } from './engine-client';
import { pathsStore } from './features/paths/paths-state';
import './styles.css';
// plotly (3.5 MB) is loaded where a chart first needs it, not here: evaluating it blocked the
// main thread for 1–3 s during start-up on a 2-core machine (npm run bench, longtasks).

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
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
