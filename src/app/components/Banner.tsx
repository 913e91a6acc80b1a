import { appStore, useApp } from '../store';
import { FilePickButton } from './FilePickButton';
import { importFiles } from '../features/models/models-state';

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
      {banner.pick && (
        <FilePickButton
          label="Choose files…"
          multiple
          testId="banner-files"
          onFiles={(files) => void importFiles(files)}
        />
      )}
      <button aria-label="Dismiss" onClick={() => appStore.setState({ banner: null })}>
        ×
      </button>
    </div>
  );
}
