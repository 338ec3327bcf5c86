# Writes timm fixtures (run by hand with Debian's python3-torch 1.13 and timm 1.0.29; tests never run Python):
#   python3 make_timm_fixtures.py [deit_mini] [levit_mini] [coat_mini]   (all three when none is named)
# deit_mini/: a DeiT as timm builds it (VisionTransformer with a class token; its attention is batch-first, its q, k
# and v packed in one Linear), at 32 × 32 pixels with 8 × 8 patches (4 × 4 tokens + the class token), 16 channels,
# 2 blocks of 2 heads, 5 classes, random weights; exported to ONNX (opset 17, dynamic batch) as
# torch.onnx.export does for a user. reference.json: the model's probabilities for the photos in inputs.u8 (the first
# two of ../keras/vgg16_mini.inputs.u8, 224 → 32 by area averaging, RGB uint8 NHWC) and the Grad-CAM map of the top
# class at blocks[-1].norm1, the layer pytorch-grad-cam's ViT recipe targets: the gradient of the logit averaged
# over the 4 × 4 grid tokens (the class token dropped, as its reshape_transform does) weighting the channels, ReLU.
# levit_mini/: a LeViT as timm.create_model builds levit_128s (LevitDistilled), with small widths (16, 24, 32), key
# size 8 and 1, 2, 2 blocks: 3 stages of 14 × 14, 7 × 7 and 4 × 4 tokens [n, s², c], no class token, attention
# downsampling between stages, its two heads averaging the last stage's tokens; at 112 × 112 pixels with the
# stride-8 stem. Random weights as timm initialises them: the BatchNorms that close each residual branch start at
# weight 0, so those branches do not reach the class scores (the case that stopped Sightline's search for the last
# tokens short). BatchNorm statistics are drawn (means N(0, 0.1), variances U(0.5, 1.5)), and the attention biases
# by position (0 at first, N(0, 4) here) so that the tokens differ. Grad-CAM target: the last block's output,
# stages[-1].blocks[-1], a 4 × 4 grid.
# coat_mini/: a CoaT-Lite (timm's CoaT without parallel blocks) with widths (16, 16, 24, 40), 1, 1, 1, 2 blocks and
# 8 heads: 4 serial stages of 56², 28², 14² and 7² tokens + a class token each, factorized attention with
# convolutional relative position encoding, the head reading stage 4's class token; at 224 × 224 pixels with 4 × 4
# patches (CoaT's layout), random weights. Grad-CAM target: serial_blocks4[-1].norm1, as for a ViT (after the last
# attention only the class token reaches the class scores), a 7 × 7 grid.
# Both: 5 classes (head weights × 8, as deit_mini's), the same two photos (levit_mini's at 112 × 112 by area
# averaging), reference.json as for deit_mini.
import json
import os
import sys

import numpy as np
import timm
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
MEAN, STD = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])


def photos(side):
    every = np.fromfile(os.path.join(HERE, '..', 'keras', 'vgg16_mini.inputs.u8'), dtype=np.uint8).reshape(-1, 224, 224, 3)[:2]
    f = 224 // side
    return every.reshape(2, side, f, side, f, 3).mean(axis=(2, 4)).round().astype(np.uint8)


def write(name, model, side, target_module, grid, leading, title):
    """model.onnx, inputs.u8, sightline.json and reference.json in ./name: the Grad-CAM map of the top class at
    target_module's output, [n, leading + grid², c] tokens seen as a grid × grid image (leading class token dropped)."""
    out = os.path.join(HERE, name)
    os.makedirs(out, exist_ok=True)
    torch.onnx.export(model, torch.randn(1, 3, side, side), os.path.join(out, 'model.onnx'), input_names=['input'], output_names=['logits'],
                      dynamic_axes={'input': {0: 'n'}, 'logits': {0: 'n'}}, opset_version=17)
    pixels = photos(side)
    pixels.tofile(os.path.join(out, 'inputs.u8'))
    x = torch.tensor(((pixels / 255.0 - MEAN) / STD).transpose(0, 3, 1, 2), dtype=torch.float32)
    kept = {}
    hook = model.get_submodule(target_module).register_forward_hook(lambda module, args, output: kept.__setitem__('a', output))
    logits = model(x)
    hook.remove()
    activations = kept['a']
    top = logits.argmax(dim=1)
    score = logits.gather(1, top[:, None]).sum()
    grads = torch.autograd.grad(score, activations)[0]
    as_grid = lambda t: t[:, leading:, :].reshape(t.shape[0], grid, grid, t.shape[2])  # noqa: E731
    weights = as_grid(grads).mean(dim=(1, 2), keepdim=True)
    cams = torch.relu((weights * as_grid(activations)).sum(dim=3))
    with open(os.path.join(out, 'sightline.json'), 'w') as settings:
        json.dump({'name': title, 'inputSize': side, 'preprocessing': 'torch'}, settings)
    with open(os.path.join(out, 'reference.json'), 'w') as reference:
        json.dump({
            'torch': torch.__version__, 'timm': timm.__version__, 'target_module': target_module,
            'probs': torch.softmax(logits, dim=1).tolist(), 'top': top.tolist(),
            'map_shape': [grid, grid], 'maps': cams.reshape(2, -1).tolist(),
        }, reference)


def deit_mini():
    torch.manual_seed(3)
    model = timm.models.vision_transformer.VisionTransformer(
        img_size=32, patch_size=8, embed_dim=16, depth=2, num_heads=2, num_classes=5, mlp_ratio=2.0).eval()
    with torch.no_grad():
        model.head.weight.mul_(8.0)  # probabilities that differ
    write('deit_mini', model, 32, 'blocks.1.norm1', 4, 1, 'deit mini (random weights)')


def batchnorm_statistics(model):
    """Running means and variances drawn as /tmp/timm/export.py did (weights and biases as timm set them)."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                module.running_mean.normal_(0, 0.1)
                module.running_var.uniform_(0.5, 1.5)


def levit_mini():
    torch.manual_seed(4)
    model = timm.models.levit.LevitDistilled(
        img_size=112, num_classes=5, embed_dim=(16, 24, 32), key_dim=8, depth=(1, 2, 2), num_heads=(2, 3, 4),
        stem_type='s8').eval()
    batchnorm_statistics(model)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.endswith('attention_biases'):
                parameter.normal_(0, 4)  # positional attention, so that the last stage's tokens differ
        model.head.linear.weight.mul_(8.0)
        model.head_dist.linear.weight.mul_(8.0)
    write('levit_mini', model, 112, 'stages.2.blocks.1', 4, 0, 'levit mini (random weights)')


def coat_mini():
    torch.manual_seed(5)
    model = timm.models.coat.CoaT(
        img_size=224, patch_size=4, embed_dims=(16, 16, 24, 40), serial_depths=(1, 1, 1, 2), mlp_ratios=(2, 2, 2, 2),
        num_heads=8, num_classes=5).eval()
    with torch.no_grad():
        model.head.weight.mul_(8.0)
    write('coat_mini', model, 224, 'serial_blocks4.1.norm1', 7, 1, 'coat mini (random weights)')


if __name__ == '__main__':
    makers = {'deit_mini': deit_mini, 'levit_mini': levit_mini, 'coat_mini': coat_mini}
    for name in sys.argv[1:] or list(makers):
        makers[name]()
