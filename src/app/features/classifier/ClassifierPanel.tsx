import { ClassifierForm } from './ClassifierForm';
import { FineTuneCard } from './FineTuneCard';
import { PresetsCard } from './PresetsCard';
import { TrainCurves } from './TrainCurves';

/** The Classifier lab: train populations, fine-tune task models, replicate the papers' MNIST figures. */
export function ClassifierPanel() {
  return (
    <div className="classifier-lab">
      <ClassifierForm />
      <div className="classifier-main">
        <TrainCurves />
        <FineTuneCard />
        <PresetsCard />
      </div>
    </div>
  );
}
