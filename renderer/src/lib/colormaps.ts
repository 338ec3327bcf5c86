// The overlay's colormaps: the tables live in common (the report draws with them too); the legend's gradient here.
import { colourAt, type ColormapName } from '../../../common/colormaps';

export { COLORMAPS, colourAt, lutFor, type ColormapName, type Lut } from '../../../common/colormaps';

/** A CSS gradient of the colormap from 0 (left) to 1, for legends. */
export function cssGradient(name: ColormapName): string {
  const stops = Array.from({ length: 9 }, (_, i) => `rgb(${colourAt(name, i / 8).join(' ')})`);
  return `linear-gradient(to right, ${stops.join(', ')})`;
}
