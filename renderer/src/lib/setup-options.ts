// How the Setup view names the choices of a model's setup (the values are the contract's).
import type { LabelSource, PreprocessingPreset, ResizeMode } from '../../../common/types';

export const PREPROCESSING_OPTIONS: readonly { value: PreprocessingPreset; label: string }[] = [
  { value: 'torch', label: 'torch: x/255, minus ImageNet mean, over std (PyTorch, torchvision)' },
  { value: 'mobilenet', label: 'mobilenet: x/127.5 − 1 (Keras MobileNet, EfficientNet v2, Inception)' },
  { value: 'caffe', label: 'caffe: BGR, minus ImageNet mean (Keras VGG16, ResNet50)' },
  { value: 'raw', label: 'raw: 0–255 as is (the model scales its own input)' },
];

export const RESIZE_OPTIONS: readonly { value: ResizeMode; label: string }[] = [
  { value: 'stretch', label: 'Stretch the whole photo' },
  { value: 'centre-crop', label: 'Centre crop (short side to the input)' },
  { value: 'letterbox', label: 'Letterbox (long side, black bars)' },
];

/** ImageNet's names are offered only for a model with exactly its 1000 classes. */
export function labelOptions(classCount: number): { value: LabelSource; label: string }[] {
  return [
    { value: 'file', label: 'A labels file (JSON list, or one name per line)' },
    ...(classCount === 1000 ? [{ value: 'imagenet' as const, label: "ImageNet's 1000 class names" }] : []),
    { value: 'numbered', label: `Numbered: class 0 … class ${Math.max(classCount - 1, 0)}` },
  ];
}
