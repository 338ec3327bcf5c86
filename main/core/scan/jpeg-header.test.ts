// The JavaScript JPEG header reader against libvips (sharp's metadata()) on real and generated JPEGs: the same
// size and orientation whenever it answers, and no answer (so libvips decides) for anything unusual.
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { readJpegHeader } from './jpeg-header';

const sample = (rel: string) => new URL(`../../../resources/samples/${rel}`, import.meta.url);

/** A 40 × 24 noisy picture, so that the encoder has something to code. */
const picture = () => {
  const pixels = Buffer.alloc(40 * 24 * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 2654435761) >>> 24;
  return sharp(pixels, { raw: { width: 40, height: 24, channels: 3 } });
};

/** An APP1 Exif segment whose IFD0 holds only the orientation, in either byte order. */
function exifSegment(orientation: number, little: boolean): Buffer {
  const tiff = Buffer.alloc(8 + 2 + 12 + 4);
  tiff.write(little ? 'II' : 'MM', 0, 'latin1');
  const u16 = (value: number, at: number) => (little ? tiff.writeUInt16LE(value, at) : tiff.writeUInt16BE(value, at));
  const u32 = (value: number, at: number) => (little ? tiff.writeUInt32LE(value, at) : tiff.writeUInt32BE(value, at));
  u16(42, 2);
  u32(8, 4);
  u16(1, 8);
  u16(0x0112, 10);
  u16(3, 12);
  u32(1, 14);
  u16(orientation, 18);
  const body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const header = Buffer.from([0xff, 0xe1, (body.length + 2) >> 8, (body.length + 2) & 0xff]);
  return Buffer.concat([header, body]);
}

/** `jpeg` with `segments` inserted right after its SOI marker. */
const withSegments = (jpeg: Buffer, ...segments: Buffer[]) => Buffer.concat([jpeg.subarray(0, 2), ...segments, jpeg.subarray(2)]);

async function expectSameAsLibvips(bytes: Buffer, label: string): Promise<void> {
  const header = readJpegHeader(bytes);
  const meta = await sharp(bytes).metadata();
  expect(header, label).not.toBeNull();
  expect(header, label).toEqual({ width: meta.width, height: meta.height, orientation: meta.orientation ?? 1 });
}

describe('readJpegHeader', () => {
  it('reads the size of a real photo and of baseline, progressive, grey, CMYK and 4:4:4 JPEGs as libvips does', async () => {
    await expectSameAsLibvips(readFileSync(sample('652_military_uniform/matplotlib_grace_hopper.jpg')), 'grace hopper');
    const variants: [string, Buffer][] = [
      ['baseline', await picture().jpeg().toBuffer()],
      ['progressive', await picture().jpeg({ progressive: true }).toBuffer()],
      ['grey', await picture().greyscale().jpeg().toBuffer()],
      ['CMYK', await picture().toColourspace('cmyk').jpeg().toBuffer()],
      ['4:4:4', await picture().jpeg({ chromaSubsampling: '4:4:4', optimiseCoding: false }).toBuffer()],
    ];
    for (const [label, bytes] of variants) await expectSameAsLibvips(bytes, label);
  });

  it('reads every EXIF orientation, in both byte orders, as libvips does', async () => {
    const plain = await picture().jpeg().toBuffer();
    for (let orientation = 1; orientation <= 8; orientation++) {
      await expectSameAsLibvips(await picture().jpeg().withMetadata({ orientation }).toBuffer(), `sharp-written orientation ${orientation}`);
      for (const little of [true, false]) {
        await expectSameAsLibvips(withSegments(plain, exifSegment(orientation, little)), `orientation ${orientation}, ${little ? 'II' : 'MM'}`);
      }
    }
  });

  it('leaves unusual headers to libvips: two Exif blocks, an orientation outside 1–8, a truncated header, not a JPEG', async () => {
    const plain = await picture().jpeg().toBuffer();
    expect(readJpegHeader(withSegments(plain, exifSegment(6, true), exifSegment(3, false)))).toBeNull();
    expect(readJpegHeader(withSegments(plain, exifSegment(9, true)))).toBeNull();
    expect(readJpegHeader(plain.subarray(0, 30))).toBeNull();
    expect(readJpegHeader(await picture().png().toBuffer())).toBeNull();
    // A file that ends before its frame header says nothing either way.
    expect(readJpegHeader(Buffer.from([0xff, 0xd8, 0xff, 0xd9]))).toBeNull();
  });

  it('reads the claimed size of a decompression bomb without decoding it', () => {
    // SOI, then a baseline frame header claiming 60000 × 50000, then SOS.
    const frame = [0xff, 0xc0, 0, 11, 8, 50000 >> 8, 50000 & 0xff, 60000 >> 8, 60000 & 0xff, 1, 1, 0x11, 0];
    const bytes = Buffer.from([0xff, 0xd8, ...frame, 0xff, 0xda, 0, 8, 1, 1, 0, 0, 63, 0]);
    expect(readJpegHeader(bytes)).toEqual({ width: 60000, height: 50000, orientation: 1 });
  });
});
