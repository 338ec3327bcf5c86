// The CAM method names, free of TF.js so that the calling thread can import them.
export const CAM_METHODS = [
  'GradCAM',
  'HiResCAM',
  'GradCAMPlusPlus',
  'XGradCAM',
  'LayerCAM',
  'ScoreCAM',
  'EigenCAM',
  'GradCAMElementWise',
] as const;
export type CamMethodName = (typeof CAM_METHODS)[number];
