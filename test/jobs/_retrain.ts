// Retraining-job test helper: the outcome of an uninterrupted in-process run, which a job must reproduce bit for bit.
import type { Dataset } from '../../src/engine/data/types';
import { loadLayersModel, saveLayersModel } from '../../src/engine/model';
import { finish, initRetrain, isDone, retrainStep } from '../../src/engine/train';
import type { ModelBytes } from '../../src/jobs/inputs';

/** The repaired model's weights.bin and loss curve as an uninterrupted in-process run makes them. */
export function referenceRun(model: ModelBytes, data: Dataset, config: unknown): { weights: Uint8Array; losses: number[] } {
  const float = loadLayersModel(model.modelJson, new Map(model.shards));
  try {
    let s = initRetrain(float, config, data.shape[0]);
    while (!isDone(s)) s = retrainStep(s, float, data, config);
    const q = finish(s, float, config);
    try {
      return { weights: saveLayersModel(q, { weights: 'uint8' }).weights, losses: s.metrics.map((m) => m.loss) };
    } finally {
      q.dispose();
    }
  } finally {
    float.dispose();
  }
}
