import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { appStore } from './store';
import './styles.css';
import { loadPlotly } from './components/Plot';

// Start fetching plotly at once: it is big, and every view draws with it.
void loadPlotly();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);

// Read-only access for automation and debugging (the browser tests read progress through it).
(window as unknown as { __weightscope: { getState: typeof appStore.getState } }).__weightscope = { getState: appStore.getState };
