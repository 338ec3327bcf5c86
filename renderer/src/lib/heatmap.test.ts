import { describe, expect, it } from 'vitest';
import type { Heatmap } from '../../../common/types';
import { fitRect, OVERLAY_OPACITY, overlayPixels, turbo, upsample } from './heatmap';

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

  it('leaves the letterbox outside the photo transparent and paints the rest at the fixed opacity', () => {
    const rgba = overlayPixels(map(1, 1, [1]), 4, 1, { x: 1, y: 0, w: 2, h: 1 });
    const alphas = [3, 7, 11, 15].map((i) => rgba[i]);
    expect(alphas).toEqual([0, Math.round(OVERLAY_OPACITY * 255), Math.round(OVERLAY_OPACITY * 255), 0]);
    expect([...rgba.slice(4, 7)]).toEqual(turbo(1));
  });

  it('runs from dark through blue, green and orange to dark red (turbo)', () => {
    const largest = (t: number) => ['r', 'g', 'b'][turbo(t).indexOf(Math.max(...turbo(t)))];
    expect(turbo(0).reduce((a, b) => a + b)).toBeLessThan(120);
    expect([0.25, 0.5, 0.75, 1].map(largest)).toEqual(['b', 'g', 'r', 'r']);
    expect(turbo(1)[1]).toBeLessThan(40);
  });
});
