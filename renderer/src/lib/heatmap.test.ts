import { describe, expect, it } from 'vitest';
import type { Heatmap } from '../../../common/types';
import { colourAt, lutFor } from './colormaps';
import { attentionCutoff, fitRect, overlayPixels, upsample } from './heatmap';

const turbo = (t: number) => colourAt('turbo', t);

const map = (w: number, h: number, values: number[], scale = Math.max(...values)): Heatmap => ({ w, h, values, scale, classIndex: 0 });

describe('heatmap overlay', () => {
  it('places the photo like CSS object-fit', () => {
    expect(fitRect(200, 100, 400, 400, 'cover')).toEqual({ x: 0, y: -50, w: 200, h: 200 });
    expect(fitRect(200, 100, 400, 400, 'contain')).toEqual({ x: 50, y: 0, w: 100, h: 100 });
    expect(fitRect(200, 100, null, null, 'cover')).toEqual({ x: 0, y: 0, w: 200, h: 100 });
  });

  it('upsamples bilinearly between cell centres and normalises by the scale', () => {
    // 2×1 map [0, 4] to 4 pixels: centres of output pixels sit at 0.125, 0.375, 0.625, 0.875 of the width;
    // cell centres at 0.25 and 0.75, so the weights are clamped 0, 0.25, 0.75, clamped 1.
    const out = upsample(map(2, 1, [0, 4]), 4, 1, { x: 0, y: 0, w: 4, h: 1 });
    expect([...out]).toEqual([0, 0.25, 0.75, 1]);
    // Dataset-wide scales: a map whose max is half the scale reaches only 0.5.
    expect(Math.max(...upsample(map(1, 1, [2], 4), 2, 2, { x: 0, y: 0, w: 2, h: 2 }))).toBe(0.5);
    // An all-zero map (scale 0) stays at 0 instead of dividing by zero.
    expect([...upsample(map(1, 1, [0], 0), 1, 1, { x: 0, y: 0, w: 1, h: 1 })]).toEqual([0]);
  });

  it('leaves the letterbox outside the photo transparent and paints the rest at one opacity', () => {
    const values = upsample(map(1, 1, [1]), 4, 1, { x: 1, y: 0, w: 2, h: 1 });
    const rgba = overlayPixels(values, { lut: lutFor('turbo'), opacity: 0.5, cutoff: -Infinity });
    expect([3, 7, 11, 15].map((i) => rgba[i])).toEqual([0, 128, 128, 0]);
    expect([...rgba.slice(4, 7)]).toEqual(turbo(1));
  });

  it('paints only the top share of attention above the cutoff', () => {
    // Cells 0, 1, 2, 3 (scale 3): the top 50 % are 2 and 3, so the cutoff is 2/3 of the scale.
    const m = map(4, 1, [0, 1, 2, 3]);
    expect(attentionCutoff(m, 3, 50)).toBeCloseTo(2 / 3);
    expect(attentionCutoff(m, 3, 25)).toBe(1);
    expect(attentionCutoff(m, 3, 100)).toBe(-Infinity);
    const rgba = overlayPixels(new Float32Array([0, 1 / 3, 2 / 3, 1]), { lut: lutFor('turbo'), opacity: 1, cutoff: 2 / 3 });
    expect([3, 7, 11, 15].map((i) => rgba[i])).toEqual([0, 0, 255, 255]);
  });

  it('colours every pixel as the colormap table says, byte for byte, whatever the opacity, cutoff and colormap', () => {
    let seed = 9;
    const random = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const values = Float32Array.from({ length: 5000 }, (_, i) => (i % 17 === 0 ? NaN : i % 23 === 0 ? 0 : i % 29 === 0 ? 1 : random()));
    for (const [colormap, opacity, cutoff] of [['turbo', 0.45, -Infinity], ['viridis', 1, 0.5], ['jet', 0.01, 0.999], ['turbo', 0, 0]] as const) {
      const lut = lutFor(colormap);
      const expected = new Uint8ClampedArray(values.length * 4);
      values.forEach((t, p) => {
        if (Number.isNaN(t) || t < cutoff) return;
        const i = Math.round(t * 255) * 3;
        expected.set([lut[i], lut[i + 1], lut[i + 2], Math.round(opacity * 255)], p * 4);
      });
      expect(overlayPixels(values, { lut, opacity, cutoff }), `${colormap} ${opacity} ${cutoff}`).toEqual(expected);
    }
  });

  it('has jet and viridis beside turbo, each running from cold to hot', () => {
    expect(colourAt('jet', 0)).toEqual([0, 0, 131]);
    expect(colourAt('jet', 1)[0]).toBeGreaterThan(120);
    expect(colourAt('viridis', 0)).toEqual([68, 1, 84]);
    expect(colourAt('viridis', 1)).toEqual([253, 231, 37]);
  });

  it('runs from dark through blue, green and orange to dark red (turbo)', () => {
    const largest = (t: number) => ['r', 'g', 'b'][turbo(t).indexOf(Math.max(...turbo(t)))];
    expect(turbo(0).reduce((a, b) => a + b)).toBeLessThan(120);
    expect([0.25, 0.5, 0.75, 1].map(largest)).toEqual(['b', 'g', 'r', 'r']);
    expect(turbo(1)[1]).toBeLessThan(40);
  });
});
