import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { interpolateTurbo } from 'd3-scale-chromatic';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { upsampleBilinear } from '../../../common/upsample';
import { OVERLAY_OPACITY, overlayJpeg, overlayRgba } from './overlay';

// A 7 × 7 map like a CNN's last convolution, with one hot spot off-centre.
const map = {
  w: 7,
  h: 7,
  values: Array.from({ length: 49 }, (_, i) => Math.max(0, 3 - Math.hypot((i % 7) - 4.3, Math.floor(i / 7) - 2.1))),
};

/** The reference: TensorFlow's bilinear resize with half-pixel centres (what cv2.resize and pytorch-grad-cam do). */
function referenceUpsample(width: number, height: number): Float32Array {
  return tf.tidy(() => {
    const grid = tf.tensor4d(map.values, [1, map.h, map.w, 1]);
    return tf.image.resizeBilinear(grid, [height, width], false, true).dataSync() as Float32Array;
  });
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('the report overlay', () => {
  it('upsamples the raw map as TensorFlow resizeBilinear(halfPixelCenters) does, for odd and non-square sizes', () => {
    for (const [width, height] of [[224, 224], [97, 61], [5, 300]]) {
      const ours = upsampleBilinear(map, width, height);
      const reference = referenceUpsample(width, height);
      let worst = 0;
      for (let p = 0; p < ours.length; p++) worst = Math.max(worst, Math.abs(ours[p] - reference[p]));
      expect(worst, `${width} × ${height}`).toBeLessThan(1e-5);
    }
  });

  it('paints the smooth map, not blocks: neighbouring pixels inside a cell differ', () => {
    const rgba = overlayRgba(map, 70, 70);
    // Ten output pixels per cell: a blocky (nearest) upsampling would repeat a colour ten times in a row.
    const row = 35 * 70 * 4;
    const distinct = new Set(Array.from({ length: 70 }, (_, x) => rgba.slice(row + x * 4, row + x * 4 + 3).join()));
    expect(distinct.size).toBeGreaterThan(30);
    expect(rgba[3]).toBe(Math.round(OVERLAY_OPACITY * 255));
  });

  it("draws the report's JPEG like a reference composite of the TensorFlow-upsampled map over the photo", async () => {
    const side = 280;
    const grey = 128;
    const photo = await sharp({ create: { width: side, height: side, channels: 3, background: { r: grey, g: grey, b: grey } } }).png().toBuffer();
    const jpeg = await overlayJpeg(photo, { ...map, scale: 3 }, side);
    const { data } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
    // The reference image: turbo of the reference upsampling over the grey photo at the overlay's opacity.
    const reference = referenceUpsample(side, side);
    let error = 0;
    for (let p = 0; p < reference.length; p++) {
      const colour = (interpolateTurbo(Math.min(1, reference[p] / 3)).match(/\d+/g) ?? []).map(Number);
      for (let c = 0; c < 3; c++) error += Math.abs(data[p * 3 + c] - (grey * (1 - OVERLAY_OPACITY) + colour[c] * OVERLAY_OPACITY));
    }
    // JPEG at quality 78 costs about 1 level per channel on this smooth image; blocks or a shifted map cost far more.
    expect(error / (reference.length * 3)).toBeLessThan(2);
    const shifted = await overlayJpeg(photo, { ...map, values: [...map.values.slice(1), 0], scale: 3 }, side);
    const other = (await sharp(shifted).raw().toBuffer()).reduce((sum, v, i) => sum + Math.abs(v - data[i]), 0);
    expect(other / data.length).toBeGreaterThan(4);
  });
});
