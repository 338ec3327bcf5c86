// The written-out tables are the libraries' colormaps, entry for entry: turbo and viridis as d3-scale-chromatic
// samples them at i/255, jet as the colormap package gives it with 256 shades (both libraries are dev dependencies
// now, kept for this check).
import createColormap from 'colormap';
import { interpolateTurbo, interpolateViridis } from 'd3-scale-chromatic';
import { describe, expect, it } from 'vitest';
import { COLORMAPS, colourAt, lutFor, type ColormapName } from './colormaps';

/** d3 gives `rgb(r, g, b)` or `#rrggbb`. */
function parseCss(colour: string): number[] {
  if (colour.startsWith('#')) return [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16));
  return colour.match(/\d+/g)!.map(Number);
}

const reference: Record<ColormapName, () => number[][]> = {
  turbo: () => Array.from({ length: 256 }, (_, i) => parseCss(interpolateTurbo(i / 255))),
  viridis: () => Array.from({ length: 256 }, (_, i) => parseCss(interpolateViridis(i / 255))),
  jet: () => createColormap({ colormap: 'jet', nshades: 256, format: 'rgba' }).map(([r, g, b]) => [r, g, b]),
};

describe('colormap tables', () => {
  it.each(COLORMAPS)('%s holds the library colormap, all 256 entries', (name) => {
    const lut = lutFor(name);
    expect(lut).toHaveLength(256 * 3);
    const entries = Array.from({ length: 256 }, (_, i) => [...lut.slice(i * 3, i * 3 + 3)]);
    expect(entries).toEqual(reference[name]());
  });

  it('reads a colour by its place in 0…1, clamped', () => {
    expect(colourAt('turbo', 0)).toEqual(parseCss(interpolateTurbo(0)));
    expect(colourAt('turbo', -1)).toEqual(colourAt('turbo', 0));
    expect(colourAt('viridis', 2)).toEqual(parseCss(interpolateViridis(1)));
    expect(colourAt('turbo', 0.5)).toEqual(parseCss(interpolateTurbo(128 / 255)));
    expect(lutFor('jet')).toBe(lutFor('jet')); // decoded once
  });
});
