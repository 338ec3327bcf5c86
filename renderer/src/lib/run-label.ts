// How every run picker names a run: runs of two models on one dataset must be told apart at a glance
// ("before / after fine-tuning"), so the model's name comes first, then the method and the layer.
import type { RunInfo } from '../../../common/types';
import { methodLabel } from './methods';

export function runLabel(run: Pick<RunInfo, 'id' | 'modelName' | 'method' | 'layer'>): string {
  return `#${run.id} ${run.modelName} · ${methodLabel(run.method)} @ ${run.layer}`;
}
