import { appStore, useApp } from '../../store';
import { adoptDroppedImage } from '../train/ImageDrop';
import { importNpyAsCheckpoint } from './models-state';

/**
 * A dropped `.npy` whose array looks like an image (2-D/3-D, values in [0, 1]) could also be a
 * weight matrix: the person says which.
 */
export function NpyChoice() {
  const pending = useApp((s) => s.pendingNpy);
  if (!pending) return null;
  const close = () => appStore.setState({ pendingNpy: null });
  return (
    <div className="dialog-backdrop" role="dialog" aria-modal="true" aria-label="Image or checkpoint?">
      <div className="dialog panel" data-testid="npy-choice">
        <h2>{pending.name}: an image or a checkpoint?</h2>
        <p>
          This NumPy array is 2-D or 3-D with every value in [0, 1], as images in INR datasets are stored. Use
          it as the target image to fit, or read it as a one-layer checkpoint?
        </p>
        <div className="dialog-actions">
          <button onClick={close}>Cancel</button>
          <button data-testid="npy-checkpoint" onClick={() => void importNpyAsCheckpoint(pending.file)}>
            Checkpoint
          </button>
          <button
            className="primary inline"
            data-testid="npy-image"
            onClick={() => {
              close();
              void adoptDroppedImage(pending.file);
            }}
          >
            Target image
          </button>
        </div>
      </div>
    </div>
  );
}
