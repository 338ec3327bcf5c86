# Writes the Keras 3 fixtures with Keras itself (run by hand; tests never run Python):
#   python make_keras3_fixtures.py        (Keras 3.15.1 on TensorFlow 2.21.0, CPU; `pip install tensorflow-cpu==2.21.0`)
# - constructs.keras / constructs.h5: one small model of every construct that real keras.applications models use and
#   TF.js layers lacks or reads otherwise (see tfjs-adapt.ts);
# - transfer.keras: transfer learning as Keras 3 users write it, Sequential([MobileNetV3Small(alpha=0.75,
#   include_top=False), GlobalAveragePooling2D(), Dense(3)]): a nested model, hard_silu, x + 3 operations, keepdims
#   pooling, a Rescaling of its own;
# - reference.json: for each, Keras's class probabilities and the Grad-CAM map (as pytorch-grad-cam and the Keras
#   Grad-CAM tutorial compute it: the gradient of the class logit, before the softmax, averaged over the map, weighting
#   the layer's channels, ReLU) of the top class at the layer Sightline targets by default, for the photos in
#   inputs.u8 (the first two of ../vgg16_mini.inputs.u8 resized by TF's bilinear resize with antialiasing).
# Weights are random (seeded); each BatchNormalization's statistics are those of the photos, so that activations stay
# in range, and the classifier's kernel is scaled so that the probabilities are not uniform.
import json
import os

os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers, ops  # noqa: E402
from keras.src.applications.convnext import LayerScale  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def photos(size):
    every = np.fromfile(os.path.join(HERE, '..', 'vgg16_mini.inputs.u8'), dtype=np.uint8).reshape(-1, 224, 224, 3)
    resized = tf.image.resize(every.astype('float32'), (size, size), method='bilinear', antialias=True)
    return np.clip(np.round(resized.numpy()), 0, 255).astype(np.uint8)


def constructs():
    keras.utils.set_random_seed(7)
    i = keras.Input((64, 64, 3), name='pixels')
    norm = layers.Normalization(name='adapted_normalization')
    norm.adapt(photos(64).astype('float32'))
    x = norm(i)
    x = layers.Conv2D(8, 3, strides=2, padding='same', use_bias=False, name='stem_conv')(x)
    x = layers.BatchNormalization(scale=False, name='stem_bn')(x)
    x = layers.Activation('hard_silu', name='stem_act')(x)
    # MobileNetV3's squeeze-and-excite: keepdims pooling, x + 3 and × 1/6 as Keras operations.
    s = layers.GlobalAveragePooling2D(keepdims=True, name='se_pool')(x)
    s = layers.Conv2D(8, 1, name='se_conv')(s)
    s = layers.ReLU(6.0, name='se_relu6')(s + 3.0) * (1.0 / 6.0)
    x = layers.Multiply(name='se_excite')([x, s])
    x = layers.DepthwiseConv2D(3, padding='same', name='dw_conv')(x)
    x = layers.BatchNormalization(name='dw_bn')(x)
    x = layers.Activation('silu', name='dw_act')(x)
    # ConvNeXt's block: a depthwise convolution written as Conv2D(groups=channels), LayerScale, x + y.
    y = layers.Conv2D(8, 7, padding='same', groups=8, name='grouped_conv')(x)
    y = LayerScale(0.5, 8, name='layer_scale')(y)
    x = ops.add(x, y)
    x = layers.Activation('leaky_relu', name='leaky')(x)
    x = layers.ZeroPadding2D(2, name='pad')(x)
    x = layers.Cropping2D(((1, 3), (2, 2)), name='crop')(x)
    x = layers.LayerNormalization(epsilon=1e-3, name='layer_norm')(x)
    x = layers.Normalization(mean=[0.1] * 8, variance=[2.0] * 8, name='given_normalization')(x)
    x = (x - 0.25) / 2.0
    x = layers.Conv2D(12, 3, padding='same', activation='gelu', name='last_conv')(x)
    x = layers.Activation('hard_sigmoid', name='target')(x)
    x = layers.GlobalMaxPooling2D(keepdims=True, name='head_pool')(x)
    x = layers.Flatten(name='flatten')(x)
    return keras.Model(i, layers.Dense(5, activation='softmax', name='predictions')(x), name='constructs'), 'target'


def transfer():
    keras.utils.set_random_seed(8)
    base = keras.applications.MobileNetV3Small(input_shape=(96, 96, 3), alpha=0.75, include_top=False, weights=None)
    pool = layers.GlobalAveragePooling2D(name='pool')
    dense = layers.Dense(3, activation='softmax', name='predictions')
    model = keras.Sequential([keras.Input((96, 96, 3)), base, pool, dense], name='transfer')
    # The same layers on the base's own tensors, for the reference maps (a nested model hides its inner tensors).
    flat = keras.Model(base.input, dense(pool(base.output)))
    target = [layer.name for layer in base.layers if len(layer.output.shape) == 4 and layer.output.shape[1] >= 2][-1]
    return model, target, flat


def calibrate(model, x, scale):
    inner = list(model._flatten_layers(include_self=False, recursive=True))
    norms = [layer for layer in inner if isinstance(layer, layers.BatchNormalization)]
    for layer in norms:
        layer.momentum = 0.0
    model(x, training=True)
    for layer in norms:
        layer.momentum = 0.99
    last = [layer for layer in inner if getattr(layer, 'kernel', None) is not None][-1]
    last.kernel.assign(last.kernel * scale)


def grad_cam(model, layer_name, x):
    dense = model.layers[-1]
    dense.activation = keras.activations.linear  # the logit, as the Keras Grad-CAM tutorial does
    try:
        grad_model = keras.Model(model.inputs, [model.get_layer(layer_name).output, model.output])
        with tf.GradientTape() as tape:
            maps, logits = grad_model(x, training=False)
            top = tf.argmax(logits, axis=1)
            score = tf.gather(logits, top, axis=1, batch_dims=1)
        grads = tape.gradient(score, maps)
    finally:
        dense.activation = keras.activations.softmax
    weights = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)
    cams = tf.nn.relu(tf.reduce_sum(weights * maps, axis=-1))
    return top.numpy().tolist(), cams.numpy()


def main():
    reference = {}
    model, target = constructs()
    x = photos(64)
    calibrate(model, x.astype('float32'), 3.0)
    model.save(os.path.join(HERE, 'constructs.keras'))
    model.save(os.path.join(HERE, 'constructs.h5'))
    top, cams = grad_cam(model, target, x[:2].astype('float32'))
    reference['constructs'] = entry(model(x[:2].astype('float32')), target, top, cams, 64)

    model, target, flat = transfer()
    x = photos(96)
    calibrate(model, x.astype('float32'), 5.0)
    model.save(os.path.join(HERE, 'transfer.keras'))
    top, cams = grad_cam(flat, target, x[:2].astype('float32'))
    probs = model(x[:2].astype('float32'))
    assert np.allclose(probs, flat(x[:2].astype('float32')), atol=1e-6)
    reference['transfer'] = entry(probs, target, top, cams, 96)

    inputs = np.concatenate([photos(64)[:2].reshape(-1), photos(96)[:2].reshape(-1)])
    inputs.tofile(os.path.join(HERE, 'inputs.u8'))
    with open(os.path.join(HERE, 'reference.json'), 'w') as out:
        json.dump({'keras': keras.__version__, 'tensorflow': tf.__version__, 'inputs': 'inputs.u8: 2 photos at 64 x 64, then 2 at 96 x 96, RGB uint8 NHWC', 'models': reference}, out)


def entry(probs, target, top, cams, size):
    probs = np.asarray(probs)
    return {
        'size': size,
        'layer': target,
        'probs': probs.tolist(),
        'top': top,
        'map_shape': list(cams.shape[1:]),
        'maps': [cam.reshape(-1).tolist() for cam in cams],
    }


if __name__ == '__main__':
    main()
