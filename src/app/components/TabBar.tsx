import { useRef, type KeyboardEvent } from 'react';

export interface TabDef<T extends string> {
  id: T;
  label: string;
}

/** The id of a tab's button and of its panel, so each can name the other (aria-controls / labelledby). */
export const tabId = (id: string) => `tab-${id}`;
export const panelId = (id: string) => `panel-${id}`;

/**
 * The tab bar as the WAI-ARIA tabs pattern has it: one tab in the Tab order (the selected one,
 * roving tabindex), ←/→ move to and select the previous/next tab (wrapping), Home/End the first/last.
 * Selection follows focus because every panel renders at once from state already held.
 */
export function TabBar<T extends string>(props: {
  tabs: TabDef<T>[];
  selected: T;
  label: string;
  onSelect(id: T): void;
}) {
  const { tabs, selected, label, onSelect } = props;
  const buttons = useRef<(HTMLButtonElement | null)[]>([]);
  const onKey = (e: KeyboardEvent<HTMLDivElement>) => {
    const i = tabs.findIndex((t) => t.id === selected);
    const n = tabs.length;
    const to =
      e.key === 'ArrowRight'
        ? (i + 1) % n
        : e.key === 'ArrowLeft'
          ? (i - 1 + n) % n
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? n - 1
              : -1;
    if (to < 0) return;
    e.preventDefault();
    onSelect(tabs[to]!.id);
    buttons.current[to]?.focus();
  };
  return (
    <div className="tabs" role="tablist" aria-label={label} onKeyDown={onKey}>
      {tabs.map((t, i) => (
        <button
          key={t.id}
          ref={(el) => {
            buttons.current[i] = el;
          }}
          type="button"
          role="tab"
          id={tabId(t.id)}
          aria-controls={selected === t.id ? panelId(t.id) : undefined}
          aria-selected={selected === t.id}
          tabIndex={selected === t.id ? 0 : -1}
          className={selected === t.id ? 'active' : ''}
          onClick={() => onSelect(t.id)}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}
