// Heatmaps are stored as little-endian float32 BLOBs: 49 floats for a 7×7 map is 196 bytes.
import os from 'node:os';

if (os.endianness() !== 'LE') throw new Error('Sightline stores heatmaps as little-endian float32 and needs a little-endian CPU');

export function heatmapToBlob(values: Float32Array): Buffer {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}

export function blobToHeatmap(blob: Buffer): Float32Array {
  // Copy: a Buffer from SQLite may sit at an offset that is not 4-byte aligned.
  const bytes = new Uint8Array(blob.byteLength);
  bytes.set(blob);
  return new Float32Array(bytes.buffer);
}
