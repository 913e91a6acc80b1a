import { useState } from 'react';
import { rememberImage } from '../../data/dropped-images';
import { plainFileName } from '../../../engine/experiment/schema';
import { appStore, showBanner, updateSpec } from '../../store';
import { startTraining } from './train-state';
import { FilePickButton } from '../../components/FilePickButton';

/** "Use your own image": a file picker; dropping an image anywhere on the page does the same. */
export async function adoptDroppedImage(file: File): Promise<void> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  try {
    const sha256 = await rememberImage(bytes, file.name);
    const before = appStore.getState().spec.data.source;
    if (before.kind === 'file' && before.sha256 === sha256) {
      // The file a shared link asked for: run the experiment as the link describes it.
      showBanner('info', `${file.name} matches the image the link names; running the experiment.`);
      void startTraining();
      return;
    }
    const name = plainFileName(file.name);
    const err = updateSpec((d) => (d.data.source = { kind: 'file', name, sha256 }));
    if (err) throw new Error(err);
    showBanner('info', `${file.name} is the new target image; press Train to fit it.`);
  } catch (e) {
    showBanner(
      'error',
      `${file.name} was not used: ${e instanceof Error ? e.message : String(e)}. The experiment is unchanged.`,
    );
  }
}

export function ImageDrop() {
  const [busy, setBusy] = useState(false);
  return (
    <div className="field file-pick">
      <span className="field-label">Your image</span>
      <FilePickButton
        label={busy ? 'Reading…' : 'Choose image…'}
        accept="image/png,image/jpeg,image/webp,image/gif,image/bmp"
        testId="image-input"
        disabled={busy}
        onFiles={([f]) => {
          setBusy(true);
          void adoptDroppedImage(f!).finally(() => setBusy(false));
        }}
      />
      <span className="field-hint">PNG/JPEG, or drop it on the page</span>
    </div>
  );
}
