// The CAM methods the engine offers, as the detail view names them. Score-CAM runs one forward pass per
// channel, so on a CPU it takes tens of seconds for one photo.
export const METHODS: readonly { value: string; label: string }[] = [
  { value: 'GradCAM', label: 'Grad-CAM' },
  { value: 'GradCAMPlusPlus', label: 'Grad-CAM++' },
  { value: 'XGradCAM', label: 'XGrad-CAM' },
  { value: 'HiResCAM', label: 'HiRes-CAM' },
  { value: 'LayerCAM', label: 'Layer-CAM' },
  { value: 'GradCAMElementWise', label: 'Grad-CAM (element-wise)' },
  { value: 'EigenCAM', label: 'Eigen-CAM' },
  { value: 'ScoreCAM', label: 'Score-CAM (slow)' },
];

export const methodLabel = (value: string): string => METHODS.find((m) => m.value === value)?.label ?? value;
