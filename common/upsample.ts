// Smooth upsampling of a stored low-resolution map to the photo, shared by the gallery's canvases and the
// HTML report's overlays so both draw the same thing from the same raw map.

export interface MapCells {
  w: number;
  h: number;
  /** Row-major, w × h. */
  values: ArrayLike<number>;
}

/** Where the photo lies in the output, in output pixels (it may reach past the output's edges). */
export interface Placement {
  x: number;
  y: number;
  w: number;
  h: number;
}

interface AxisSamples {
  first: Int32Array;
  second: Int32Array;
  /** The weight of `second`. */
  weight: Float32Array;
  inside: Uint8Array;
}

/**
 * For each of `pixels` output pixels along one axis: the two cells to blend and the weight of the second.
 * Half-pixel centres (align_corners = false), clamped at the edges, as cv2.resize's INTER_LINEAR, which
 * pytorch-grad-cam uses, and torch's interpolate(mode='bilinear', align_corners=False).
 */
function axisSamples(pixels: number, cells: number, start: number, length: number): AxisSamples {
  const s: AxisSamples = {
    first: new Int32Array(pixels),
    second: new Int32Array(pixels),
    weight: new Float32Array(pixels),
    inside: new Uint8Array(pixels),
  };
  for (let p = 0; p < pixels; p++) {
    const u = (p + 0.5 - start) / length;
    s.inside[p] = u >= 0 && u <= 1 ? 1 : 0;
    const c = Math.min(Math.max(u * cells - 0.5, 0), cells - 1);
    const i0 = Math.floor(c);
    s.first[p] = i0;
    s.second[p] = Math.min(i0 + 1, cells - 1);
    s.weight[p] = c - i0;
  }
  return s;
}

/**
 * The map resampled bilinearly to width × height pixels, the photo occupying `placement` (all of the output
 * by default); NaN outside the photo. Values are the map's own, not normalised.
 */
export function upsampleBilinear(map: MapCells, width: number, height: number, placement: Placement = { x: 0, y: 0, w: width, h: height }): Float32Array {
  if (map.w < 1 || map.h < 1 || map.values.length !== map.w * map.h) {
    throw new Error(`A map of ${map.w} × ${map.h} cells needs ${map.w * map.h} values, not ${map.values.length}.`);
  }
  const out = new Float32Array(width * height);
  const xs = axisSamples(width, map.w, placement.x, placement.w);
  const ys = axisSamples(height, map.h, placement.y, placement.h);
  const v = map.values;
  for (let y = 0; y < height; y++) {
    const r0 = ys.first[y] * map.w;
    const r1 = ys.second[y] * map.w;
    const fy = ys.weight[y];
    for (let x = 0; x < width; x++) {
      if (!ys.inside[y] || !xs.inside[x]) {
        out[y * width + x] = NaN;
        continue;
      }
      const c0 = xs.first[x];
      const c1 = xs.second[x];
      const fx = xs.weight[x];
      const top = v[r0 + c0] + (v[r0 + c1] - v[r0 + c0]) * fx;
      const bottom = v[r1 + c0] + (v[r1 + c1] - v[r1 + c0]) * fx;
      out[y * width + x] = top + (bottom - top) * fy;
    }
  }
  return out;
}
