import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { appStore } from './store';
import { ask } from './engine-client';
import { pathsStore } from './features/paths/paths-state';
import './styles.css';
import { loadPlotly } from './components/Plot';

// Start fetching plotly at once: it is big, and every view draws with it.
void loadPlotly();

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
