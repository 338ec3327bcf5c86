// Colormaps as 256-entry RGB lookup tables: turbo and viridis from d3-scale-chromatic, jet from colormap.
import createColormap from 'colormap';
import { interpolateTurbo, interpolateViridis } from 'd3-scale-chromatic';

export const COLORMAPS = ['turbo', 'jet', 'viridis'] as const;
export type ColormapName = (typeof COLORMAPS)[number];

/** RGB triples, 256 of them, packed. */
export type Lut = Uint8ClampedArray;

/** d3 gives `rgb(r, g, b)` or `#rrggbb`. */
function parseCss(colour: string): [number, number, number] {
  if (colour.startsWith('#')) return [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16)) as [number, number, number];
  const [r, g, b] = colour.match(/\d+/g)!.map(Number);
  return [r, g, b];
}

function fromInterpolator(interpolate: (t: number) => string): Lut {
  const lut = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) lut.set(parseCss(interpolate(i / 255)), i * 3);
  return lut;
}

function jet(): Lut {
  const lut = new Uint8ClampedArray(256 * 3);
  createColormap({ colormap: 'jet', nshades: 256, format: 'rgba' }).forEach(([r, g, b], i) => lut.set([r, g, b], i * 3));
  return lut;
}

const cache = new Map<ColormapName, Lut>();

export function lutFor(name: ColormapName): Lut {
  let lut = cache.get(name);
  if (!lut) {
    lut = name === 'jet' ? jet() : fromInterpolator(name === 'viridis' ? interpolateViridis : interpolateTurbo);
    cache.set(name, lut);
  }
  return lut;
}

export function colourAt(name: ColormapName, t: number): [number, number, number] {
  const lut = lutFor(name);
  const i = Math.round(Math.min(Math.max(t, 0), 1) * 255) * 3;
  return [lut[i], lut[i + 1], lut[i + 2]];
}

/** A CSS gradient of the colormap from 0 (left) to 1, for legends. */
export function cssGradient(name: ColormapName): string {
  const stops = Array.from({ length: 9 }, (_, i) => `rgb(${colourAt(name, i / 8).join(' ')})`);
  return `linear-gradient(to right, ${stops.join(', ')})`;
}
