import { createElement, lazy, memo, Suspense, useEffect, useState, type ComponentType } from 'react';
import { appStore, showBanner, updateSpec, useApp } from './store';
import { startTraining } from './features/train/train-state';
import { importFiles, loadSampleModels } from './features/models/models-state';
import { loadServedCheckpoints } from './features/models/served-checkpoints';
import { applyHash, registerReplay, watchHistory } from './share';
import { runAlign } from './features/align/align-state';
import { runPaths } from './features/paths/paths-state';
import { registerMergeBuilders, replayMerge } from './features/merge/merge-state';
import { runCloud } from './features/cloud/cloud-state';
import { runLandscape } from './features/landscape/landscape-state';
import { ShareButton } from './components/ShareButton';
import { TabBar, panelId, tabId, type TabDef } from './components/TabBar';
import { ImportDialog } from './features/models/ImportDialog';
import { NpyChoice } from './features/models/NpyChoice';
import { LinkConfirm } from './components/LinkConfirm';
import { BackendBadge } from './components/BackendBadge';
import { loadPlotly } from './components/plotly-loader';
import { Banner } from './components/Banner';
import { replayClassifier } from './features/classifier/classifier-state';
import { TrainForm } from './features/train/TrainForm';
import { TrainView } from './features/train/TrainView';
import type { ExperimentSpec } from '../engine/experiment/schema';

type Tab = ExperimentSpec['views']['tab'];
const tabs: TabDef<Tab>[] = [
  { id: 'train', label: 'Train' },
  { id: 'models', label: 'Models' },
  { id: 'align', label: 'Align' },
  { id: 'paths', label: 'Paths' },
  { id: 'merge', label: 'Merge' },
  { id: 'cloud', label: 'Cloud' },
  { id: 'landscape', label: 'Landscape' },
  { id: 'classifier', label: 'Classifiers' },
  { id: 'zoo', label: 'Zoo' },
];

function setTab(tab: Tab): void {
  updateSpec((d) => (d.views.tab = tab));
}

/** Files dropped anywhere on the page: an image becomes the target, anything else a checkpoint. */
function usePageDrop(): void {
  useEffect(() => {
    const over = (e: DragEvent) => {
      e.preventDefault();
      document.body.classList.add('dragging');
    };
    const leave = () => document.body.classList.remove('dragging');
    const drop = (e: DragEvent) => {
      e.preventDefault();
      leave();
      void importFiles(Array.from(e.dataTransfer?.files ?? []));
    };
    window.addEventListener('dragover', over);
    window.addEventListener('dragleave', leave);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragover', over);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('drop', drop);
    };
  }, []);
}

// What a shared link's view shows once its experiment has trained.
registerReplay('align', runAlign);
registerReplay('paths', runPaths);
registerReplay('merge', replayMerge);
// Merges a link names as models (inputs of other merges) are rebuilt from their recipe ids.
registerMergeBuilders();
registerReplay('cloud', runCloud);
registerReplay('landscape', runLandscape);
registerReplay('classifier', replayClassifier);

let booted = false;

/**
 * Once per page (React's StrictMode runs effects twice in development): the sample models join the
 * workspace, then the checkpoints `weightscope open` serves (if any), then the link's experiment,
 * or the default one, starts on its own (not when opened on checkpoints: the Models tab shows). No upload and no
 * network are needed.
 */
function boot(): void {
  if (booted) return;
  booted = true;
  let served = 0;
  void loadSampleModels()
    .catch((e: unknown) =>
      showBanner('error', `sample models could not be loaded: ${e instanceof Error ? e.message : String(e)}`),
    )
    .then(() => loadServedCheckpoints())
    .then((n) => {
      served = n;
      appStore.setState({ ready: true });
      return applyHash(location.hash);
    })
    .then((applied) => {
      if (applied) return;
      // Opened on a folder of checkpoints (weightscope open): show them, keep the CPU free.
      if (served > 0) setTab('models');
      else void startTraining();
    });
}

/**
 * Each tab's panel. The Train tab's is in the entry; every other tab's code is its own chunk,
 * loaded when the tab is first shown or, before that, in idle time after start-up (warmPanels),
 * so none of it is evaluated in the page's start-up tasks.
 */
const panelLoaders: Record<Exclude<Tab, 'train'>, () => Promise<ComponentType>> = {
  models: () => import('./features/models/ModelsPanel').then((m) => m.ModelsPanel),
  align: () => import('./features/align/AlignPanel').then((m) => m.AlignPanel),
  paths: () => import('./features/paths/PathsPanel').then((m) => m.PathsPanel),
  merge: () => import('./features/merge/MergePanel').then((m) => m.MergePanel),
  cloud: () => import('./features/cloud/CloudPanel').then((m) => m.CloudPanel),
  landscape: () => import('./features/landscape/LandscapePanel').then((m) => m.LandscapePanel),
  classifier: () => import('./features/classifier/ClassifierPanel').then((m) => m.ClassifierPanel),
  zoo: () => import('./features/zoo/ZooPanel').then((m) => m.ZooPanel),
};

function TrainPanel() {
  return (
    <div className="train-layout">
      <TrainForm />
      <TrainView />
    </div>
  );
}

const panels = new Map<Tab, ComponentType>([['train', TrainPanel]]);
for (const tab of Object.keys(panelLoaders) as Exclude<Tab, 'train'>[])
  panels.set(
    tab,
    lazy(() => panelLoaders[tab]().then((C) => ({ default: C }))),
  );

/**
 * Loads the other tabs' code one chunk per idle period once the page has started, so that a
 * first switch to a tab does not wait for the network (each chunk evaluates in a few ms).
 */
function warmPanels(): () => void {
  const idle = (fn: () => void): number =>
    typeof requestIdleCallback === 'function'
      ? requestIdleCallback(fn, { timeout: 5000 })
      : window.setTimeout(fn, 200);
  // Then plotly's cartesian bundle, evaluated a slice per idle period and its drawing warmed, while
  // no run is under way (components/plotly-loader.ts).
  const training = (): boolean =>
    ['loading', 'calibrating', 'training', 'paused'].includes(appStore.getState().run.status);
  const loaders: (() => Promise<unknown>)[] = [
    ...Object.values(panelLoaders),
    () => loadPlotly('2d', 'idle', () => !training()),
  ];
  let handle = 0;
  let stopped = false;
  const next = (): void => {
    const load = loaders.shift();
    if (!load || stopped) return;
    handle = idle(() => void load().then(next, next));
  };
  // After the start-up's own work (boot, the first steps' messages) has had its turn.
  handle = window.setTimeout(next, 1000);
  return () => {
    stopped = true;
    clearTimeout(handle);
    if (typeof cancelIdleCallback === 'function') cancelIdleCallback(handle);
  };
}

/** A panel's body; memo'd, so switching tabs (which re-renders App) re-renders no hidden panel. */
const PanelBody = memo(function PanelBody({ id }: { id: Tab }) {
  return (
    <Suspense
      fallback={
        <p className="hint" data-testid="panel-loading">
          loading…
        </p>
      }
    >
      {createElement(panels.get(id)!)}
    </Suspense>
  );
});

export function App() {
  const tab = useApp((s) => s.spec.views.tab);
  // A tab's panel stays mounted (hidden) once visited: switching back re-mounts nothing (plotly
  // charts took 120–636 ms of main thread to rebuild on every switch, measured during training).
  const [visited, setVisited] = useState<ReadonlySet<Tab>>(() => new Set([tab]));
  if (!visited.has(tab)) setVisited(new Set([...visited, tab]));
  usePageDrop();
  useEffect(() => {
    boot();
    const stopWatching = watchHistory();
    const stopWarming = warmPanels();
    return () => {
      stopWatching();
      stopWarming();
    };
  }, []);
  return (
    <div className="app">
      <header className="topbar">
        <h1>
          Weightscope <span className="tagline">weight space of neural networks, in your browser</span>
        </h1>
        <nav className="tabs-nav" aria-label="Views">
          <TabBar tabs={tabs} selected={tab} label="Views" onSelect={setTab} />
        </nav>
        <div className="topbar-tools">
          <BackendBadge />
          <ShareButton />
        </div>
      </header>
      <Banner />
      <ImportDialog />
      <NpyChoice />
      <LinkConfirm />
      <main className="main">
        {tabs
          .filter((t) => visited.has(t.id) || t.id === tab)
          .map((t) => (
            <div
              key={t.id}
              role="tabpanel"
              id={panelId(t.id)}
              aria-labelledby={tabId(t.id)}
              hidden={t.id !== tab}
            >
              <PanelBody id={t.id} />
            </div>
          ))}
      </main>
    </div>
  );
}
