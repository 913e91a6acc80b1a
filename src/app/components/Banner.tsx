import { appStore, useApp } from '../store';

/** One message at the top of the page; text only, never HTML. */
export function Banner() {
  const banner = useApp((s) => s.banner);
  if (!banner) return null;
  return (
    <div
      className={`banner banner-${banner.kind}`}
      role={banner.kind === 'error' ? 'alert' : 'status'}
      data-testid="banner"
    >
      <span>{banner.text}</span>
      <button aria-label="Dismiss" onClick={() => appStore.setState({ banner: null })}>
        ×
      </button>
    </div>
  );
}
