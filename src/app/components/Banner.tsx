import { dismissBanners, splitBanners, useApp, type BannerMessage } from '../store';
import { FilePickButton } from './FilePickButton';
import { importFiles } from '../features/models/models-state';

function Message({ m }: { m: BannerMessage }) {
  return (
    <div
      className={`banner banner-${m.kind}`}
      role={m.kind === 'error' ? 'alert' : 'status'}
      data-testid="banner-item"
      data-kind={m.kind}
    >
      <span>
        {m.text}
        {m.count > 1 && <span className="banner-count"> (×{m.count})</span>}
      </span>
      {m.pick && (
        <FilePickButton
          label="Choose files…"
          multiple
          testId="banner-files"
          onFiles={(files) => void importFiles(files)}
        />
      )}
      <button
        type="button"
        aria-label="Dismiss"
        title="Dismiss this message"
        onClick={() => dismissBanners(m.id)}
      >
        ×
      </button>
    </div>
  );
}

/**
 * The page's messages, newest at the bottom; text only, never HTML. Each stays until dismissed
 * (or until its feature clears it), so a second message never hides an error.
 */
export function Banner() {
  const banners = useApp((s) => s.banners);
  if (banners.length === 0) return null;
  const { open, earlier } = splitBanners(banners);
  return (
    <div className="banners" data-testid="banner">
      {earlier.length > 0 && (
        <details className="banner-earlier" data-testid="banner-earlier">
          <summary>
            {earlier.length} earlier note{earlier.length === 1 ? '' : 's'}
          </summary>
          {earlier.map((m) => (
            <Message key={m.id} m={m} />
          ))}
        </details>
      )}
      {open.map((m) => (
        <Message key={m.id} m={m} />
      ))}
      {banners.length > 1 && (
        <button
          type="button"
          className="banner-clear"
          data-testid="banner-dismiss-all"
          onClick={() => dismissBanners(() => true)}
        >
          Clear all {banners.length} messages
        </button>
      )}
    </div>
  );
}
