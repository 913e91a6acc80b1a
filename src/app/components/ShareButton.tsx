import { useRef, useState } from 'react';
import { useDialogFocus } from './useDialogFocus';
import { otherFilesToDrop, shareNow, specForLink } from '../share';
import { showBanner, useApp } from '../store';

/** Share: puts the whole experiment in the URL, copies it, and shows it. */
export function ShareButton() {
  const url = useApp((s) => s.shareUrl);
  const spec = useApp((s) => s.spec);
  useApp((s) => s.models);
  const linked = specForLink(spec).spec;
  const missing = [
    ...linked.files.map((f) => `${f.name} (checkpoint, SHA-256 ${f.sha256.slice(0, 12)}…)`),
    ...otherFilesToDrop(linked),
  ];
  const [open, setOpen] = useState(false);
  const pop = useRef<HTMLDivElement>(null);
  const shown = open && url !== null && url !== '';
  useDialogFocus(pop, shown, () => setOpen(false));
  return (
    <div className="share">
      <button
        className="share-button"
        data-testid="share"
        onClick={() => {
          shareNow()
            .then(() => setOpen(true))
            .catch((e: unknown) =>
              showBanner('error', `could not share: ${e instanceof Error ? e.message : String(e)}`),
            );
        }}
      >
        Share
      </button>
      {shown && (
        <div className="share-pop" role="dialog" aria-label="Share link" ref={pop}>
          <p>Link copied. Anyone who opens it replays this experiment with the same seeds:</p>
          <input
            readOnly
            data-autofocus
            value={url}
            data-testid="share-url"
            onFocus={(e) => e.target.select()}
          />
          {missing.length > 0 && (
            <p className="hint" data-testid="share-missing">
              Dropped files cannot travel in a link; it names them by content hash and asks the receiver to
              drop the same ones: {missing.join('; ')}.
            </p>
          )}
          <button onClick={() => setOpen(false)}>Close</button>
        </div>
      )}
    </div>
  );
}
