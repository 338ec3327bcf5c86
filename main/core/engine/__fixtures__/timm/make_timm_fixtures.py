# Writes timm fixtures (run by hand with Debian's python3-torch 1.13 and timm 1.0.29; tests never run Python):
#   python3 make_timm_fixtures.py
# deit_mini/: a DeiT as timm builds it (VisionTransformer with a class token; its attention is batch-first, its q, k
# and v packed in one Linear), at 32 × 32 pixels with 8 × 8 patches (4 × 4 tokens + the class token), 16 channels,
# 2 blocks of 2 heads, 5 classes, random weights; exported to ONNX (opset 17, dynamic batch) as
# torch.onnx.export does for a user. reference.json: the model's probabilities for the photos in inputs.u8 (the first
# two of ../keras/vgg16_mini.inputs.u8, 224 → 32 by area averaging, RGB uint8 NHWC) and the Grad-CAM map of the top
# class at blocks[-1].norm1, the layer pytorch-grad-cam's ViT recipe targets: the gradient of the logit averaged
# over the 4 × 4 grid tokens (the class token dropped, as its reshape_transform does) weighting the channels, ReLU.
import json
import os

import numpy as np
import timm
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
MEAN, STD = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])


def photos():
    every = np.fromfile(os.path.join(HERE, '..', 'keras', 'vgg16_mini.inputs.u8'), dtype=np.uint8).reshape(-1, 224, 224, 3)[:2]
    return every.reshape(2, 32, 7, 32, 7, 3).mean(axis=(2, 4)).round().astype(np.uint8)


def main():
    torch.manual_seed(3)
    model = timm.models.vision_transformer.VisionTransformer(
        img_size=32, patch_size=8, embed_dim=16, depth=2, num_heads=2, num_classes=5, mlp_ratio=2.0).eval()
    with torch.no_grad():
        model.head.weight.mul_(8.0)  # probabilities that differ
    out = os.path.join(HERE, 'deit_mini')
    torch.onnx.export(model, torch.randn(1, 3, 32, 32), os.path.join(out, 'model.onnx'), input_names=['input'], output_names=['logits'],
                      dynamic_axes={'input': {0: 'n'}, 'logits': {0: 'n'}}, opset_version=17)
    pixels = photos()
    pixels.tofile(os.path.join(out, 'inputs.u8'))
    x = torch.tensor(((pixels / 255.0 - MEAN) / STD).transpose(0, 3, 1, 2), dtype=torch.float32)
    kept = {}
    hook = model.blocks[-1].norm1.register_forward_hook(lambda module, args, output: kept.__setitem__('a', output))
    logits = model(x)
    hook.remove()
    activations = kept['a']
    top = logits.argmax(dim=1)
    score = logits.gather(1, top[:, None]).sum()
    grads = torch.autograd.grad(score, activations)[0]
    grid = lambda t: t[:, 1:, :].reshape(t.shape[0], 4, 4, t.shape[2])  # noqa: E731
    weights = grid(grads).mean(dim=(1, 2), keepdim=True)
    cams = torch.relu((weights * grid(activations)).sum(dim=3))
    with open(os.path.join(out, 'sightline.json'), 'w') as settings:
        json.dump({'name': 'deit mini (random weights)', 'inputSize': 32, 'preprocessing': 'torch'}, settings)
    with open(os.path.join(out, 'reference.json'), 'w') as reference:
        json.dump({
            'torch': torch.__version__, 'timm': timm.__version__, 'target_module': 'blocks.1.norm1',
            'probs': torch.softmax(logits, dim=1).tolist(), 'top': top.tolist(),
            'map_shape': [4, 4], 'maps': cams.reshape(2, -1).tolist(),
        }, reference)


if __name__ == '__main__':
    main()
