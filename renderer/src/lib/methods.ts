// How the detail view names the engine's CAM methods (the list itself is CAM_METHOD_NAMES). Score-CAM runs one
// forward pass per channel, so on a CPU it takes tens of seconds for one photo.
import { CAM_METHOD_NAMES, type CamMethod } from '../../../common/types';

const LABELS: Record<CamMethod, string> = {
  GradCAM: 'Grad-CAM',
  HiResCAM: 'HiRes-CAM',
  GradCAMPlusPlus: 'Grad-CAM++',
  XGradCAM: 'XGrad-CAM',
  LayerCAM: 'Layer-CAM',
  ScoreCAM: 'Score-CAM (slow)',
  EigenCAM: 'Eigen-CAM',
  GradCAMElementWise: 'Grad-CAM (element-wise)',
};

export const METHODS: readonly { value: CamMethod; label: string }[] = CAM_METHOD_NAMES.map((value) => ({ value, label: LABELS[value] }));

export const methodLabel = (value: CamMethod): string => LABELS[value];
