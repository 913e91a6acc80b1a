import { useEffect, useRef, type RefObject } from 'react';

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** The elements Tab can reach inside `root`, in document order (hidden ones left out). */
function focusables(root: HTMLElement): HTMLElement[] {
  return Array.from(root.querySelectorAll<HTMLElement>(FOCUSABLE)).filter(
    (el) => !el.hidden && el.getClientRects().length > 0,
  );
}

/**
 * Keyboard behaviour of a dialog (WAI-ARIA dialog pattern): on open it takes focus (the element
 * marked `data-autofocus`, else the first control), Tab and Shift+Tab cycle inside it, Esc calls
 * `onClose`, and on close focus goes back to whatever had it before, so a keyboard user is never
 * left on `<body>` or behind a backdrop.
 */
export function useDialogFocus(ref: RefObject<HTMLElement | null>, open: boolean, onClose: () => void): void {
  // The latest onClose, read when Esc is pressed (it closes over props that change while open).
  const close = useRef(onClose);
  useEffect(() => {
    close.current = onClose;
  });
  useEffect(() => {
    const root = ref.current;
    if (!open || !root) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const first = root.querySelector<HTMLElement>('[data-autofocus]') ?? focusables(root)[0] ?? root;
    first.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        e.stopPropagation();
        close.current();
        return;
      }
      if (e.key !== 'Tab') return;
      const items = focusables(root);
      if (items.length === 0) {
        e.preventDefault();
        return;
      }
      const i = items.indexOf(document.activeElement as HTMLElement);
      const next = e.shiftKey
        ? i <= 0
          ? items[items.length - 1]!
          : items[i - 1]!
        : i < 0 || i === items.length - 1
          ? items[0]!
          : items[i + 1]!;
      e.preventDefault();
      next.focus();
    };
    // Focus that escapes (a click on the page behind a non-modal popover) is not pulled back; Tab is.
    root.addEventListener('keydown', onKey);
    return () => {
      root.removeEventListener('keydown', onKey);
      // The opener may have re-rendered away; then focus the nearest replacement React left in place.
      if (opener && opener.isConnected) opener.focus();
    };
  }, [open, ref]);
}
