/** The Zoo tab: build or open a zoo of INRs, look at it, and learn its labels from the weights. */
import { ZooForm } from './ZooForm';
import { ZooViews } from './ZooViews';

export function ZooPanel() {
  return (
    <div className="zoo-layout">
      <ZooForm />
      <ZooViews />
    </div>
  );
}
