import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp, { type ResizeOptions, type Sharp } from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import type { ResizeMode } from '../../../common/types';
import { decodeImage, decodeImageBytes, MAX_FILE_BYTES, planDecode, readImageFile, THUMBNAIL_LIMIT, THUMBNAIL_SIZE } from './decode';
import { sniffFormat } from './sniff';

const samples = new URL('../../../resources/samples/', import.meta.url);
const sample = (rel: string) => new URL(rel, samples).pathname;
const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-decode-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, bytes: Buffer): string {
  const file = path.join(dir, name);
  writeFileSync(file, bytes);
  return file;
}

describe('decodeImage', () => {
  it('refuses a file over the size limit from its size, without reading it', async () => {
    // Sparse: 1 GiB on paper, no blocks on disk; reading it whole would take 1 GiB of memory.
    const file = path.join(dir, 'huge.jpg');
    writeFileSync(file, Buffer.from([0xff, 0xd8, 0xff]));
    truncateSync(file, 1024 * 1024 * 1024);
    const before = process.memoryUsage().rss;
    await expect(readImageFile(file)).rejects.toThrow('Too large to read: 1024 MB is over the 128 MB limit for one photo; save a smaller copy');
    await expect(decodeImage(file, 224)).rejects.toThrow(/^Too large to read/);
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
    truncateSync(file, MAX_FILE_BYTES);
    await expect(readImageFile(file)).resolves.toMatchObject({ contentHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    truncateSync(file, 0);
  });

  it('decodes a real photo into a thumbnail, the model input and its hash', async () => {
    const file = sample('652_military_uniform/matplotlib_grace_hopper.jpg');
    const decoded = await decodeImage(file, 224);
    expect(decoded).toMatchObject({ width: 512, height: 600 });
    expect(decoded.pixels.length).toBe(224 * 224 * 3);
    expect(decoded.contentHash).toMatch(/^[0-9a-f]{64}$/);
    const thumb = await sharp(decoded.thumbnail).metadata();
    expect(thumb.format).toBe('jpeg');
    expect(Math.max(thumb.width, thumb.height)).toBe(THUMBNAIL_SIZE);
  });

  it('keeps the decode as the thumbnail of a 3:2 or 16:9 photo (short side 224, as the model needs), and resizes a panorama', async () => {
    for (const [width, height, thumbnail] of [[1016, 675, [338, 224]], [1920, 1080, [399, 224]], [2000, 500, [320, 80]]] as const) {
      const bytes = await sharp({ create: { width, height, channels: 3, background: { r: 200, g: 90, b: 20 } } }).jpeg().toBuffer();
      const decoded = await decodeImageBytes(bytes, 224);
      const thumb = await sharp(decoded.thumbnail).metadata();
      expect([thumb.width, thumb.height], `${width}×${height}`).toEqual(thumbnail);
      expect(Math.max(thumb.width, thumb.height)).toBeLessThanOrEqual(THUMBNAIL_LIMIT);
    }
  });

  it('decodes WebP and PNG samples, keeping nothing in libvips\' cache between files', async () => {
    for (const rel of ['235_german_shepherd/gcompris_dog.webp', '285_egyptian_cat/skimage_chelsea.png']) {
      expect((await decodeImage(sample(rel), 224)).pixels.length).toBe(224 * 224 * 3);
    }
    const { items, memory } = sharp.cache();
    expect({ items: items.current, bytes: memory.current }).toEqual({ items: 0, bytes: 0 });
  });

  it('applies EXIF orientation to the size, the thumbnail and the pixels', async () => {
    // 40 wide × 20 high: left half red, right half blue; orientation 6 means "rotate 90° clockwise to view".
    const raw = Buffer.alloc(40 * 20 * 3);
    for (let y = 0; y < 20; y++)
      for (let x = 0; x < 40; x++) raw.set(x < 20 ? [255, 0, 0] : [0, 0, 255], (y * 40 + x) * 3);
    const jpeg = await sharp(raw, { raw: { width: 40, height: 20, channels: 3 } })
      .jpeg({ quality: 100 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const decoded = await decodeImage(write('rotated.jpg', jpeg), 8);
    expect(decoded).toMatchObject({ width: 20, height: 40 });
    expect(await sharp(decoded.thumbnail).metadata()).toMatchObject({ width: 20, height: 40 });
    // Upright, the red half is on top.
    const top = decoded.pixels.subarray(0, 3);
    const bottom = decoded.pixels.subarray(7 * 8 * 3, 7 * 8 * 3 + 3);
    expect(top[0]).toBeGreaterThan(200);
    expect(bottom[2]).toBeGreaterThan(200);
  });

  it('shows every EXIF orientation (1-8) upright: each corner of the stored image lands where the tag says', async () => {
    // Stored 40 × 20, quadrants red, green (top) and blue, white (bottom).
    const colours = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]];
    const raw = Buffer.alloc(40 * 20 * 3);
    for (let y = 0; y < 20; y++) for (let x = 0; x < 40; x++) raw.set(colours[(y < 10 ? 0 : 2) + (x < 20 ? 0 : 1)], (y * 40 + x) * 3);
    // Where the stored corner (x, y) ∈ {0, 1}² goes in the upright picture, per the EXIF 2.3 table.
    const place: Record<number, (x: number, y: number) => [number, number]> = {
      1: (x, y) => [x, y],
      2: (x, y) => [1 - x, y],
      3: (x, y) => [1 - x, 1 - y],
      4: (x, y) => [x, 1 - y],
      5: (x, y) => [y, x],
      6: (x, y) => [1 - y, x],
      7: (x, y) => [1 - y, 1 - x],
      8: (x, y) => [y, 1 - x],
    };
    for (let orientation = 1; orientation <= 8; orientation++) {
      const jpeg = await sharp(raw, { raw: { width: 40, height: 20, channels: 3 } }).jpeg({ quality: 100 }).withMetadata({ orientation }).toBuffer();
      const decoded = await decodeImage(write(`orientation-${orientation}.jpg`, jpeg), 8);
      expect([decoded.width, decoded.height]).toEqual(orientation >= 5 ? [20, 40] : [40, 20]);
      for (const [x, y] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
        const [ux, uy] = place[orientation](x, y);
        const at = (uy * 7 * 8 + ux * 7) * 3;
        const seen = [...decoded.pixels.subarray(at, at + 3)].map((v) => (v > 128 ? 255 : 0));
        expect(seen, `orientation ${orientation}, stored corner ${x},${y}`).toEqual(colours[y * 2 + x]);
      }
    }
  });

  it('turns greyscale and alpha into three channels', async () => {
    const grey = await sharp(Buffer.alloc(16 * 16, 90), { raw: { width: 16, height: 16, channels: 1 } })
      .toColourspace('b-w')
      .png()
      .toBuffer();
    expect((await sharp(grey).metadata()).channels).toBe(1);
    const decodedGrey = await decodeImage(write('grey.png', grey), 4);
    expect([...decodedGrey.pixels]).toEqual(new Array(4 * 4 * 3).fill(90));

    const rgba = await sharp({ create: { width: 16, height: 16, channels: 4, background: { r: 10, g: 20, b: 30, alpha: 0.5 } } })
      .png()
      .toBuffer();
    const decodedRgba = await decodeImage(write('rgba.png', rgba), 4);
    expect(decodedRgba.pixels.length).toBe(4 * 4 * 3);
    // The model gets the colour with its alpha dropped, the thumbnail shows it flattened on black (give or take
    // the rounding of premultiplied resizing).
    const thumb = (await sharp(decodedRgba.thumbnail).stats()).channels.map((c) => c.mean);
    for (const [i, value] of [10, 20, 30].entries()) {
      expect(Math.abs(decodedRgba.pixels[i] - value)).toBeLessThanOrEqual(2);
      expect(Math.abs(thumb[i] - value / 2)).toBeLessThanOrEqual(2.5);
    }
  });

  it("honours the model's resize mode: stretch, centre-crop, letterbox", async () => {
    // 40×10: a red quarter, a green half in the middle, a blue quarter.
    const stripes = Buffer.alloc(40 * 10 * 3);
    for (let y = 0; y < 10; y++) {
      for (let x = 0; x < 40; x++) stripes.set(x < 10 ? [255, 0, 0] : x < 30 ? [0, 255, 0] : [0, 0, 255], (y * 40 + x) * 3);
    }
    const file = write('stripes.png', await sharp(stripes, { raw: { width: 40, height: 10, channels: 3 } }).png().toBuffer());
    const at = (pixels: Uint8Array, x: number, y: number) => [...pixels.subarray((y * 8 + x) * 3, (y * 8 + x) * 3 + 3)];
    const stretch = (await decodeImage(file, 8, 'stretch')).pixels;
    expect(at(stretch, 0, 4)).toEqual([255, 0, 0]);
    expect(at(stretch, 7, 4)).toEqual([0, 0, 255]);
    const crop = (await decodeImage(file, 8, 'centre-crop')).pixels;
    expect(at(crop, 0, 4)).toEqual([0, 255, 0]);
    expect(at(crop, 7, 4)).toEqual([0, 255, 0]);
    const letterbox = (await decodeImage(file, 8, 'letterbox')).pixels;
    expect(at(letterbox, 0, 0)).toEqual([0, 0, 0]);
    expect(at(letterbox, 4, 4)[1]).toBeGreaterThan(200);
    expect(at(letterbox, 4, 7)).toEqual([0, 0, 0]);
  });

  it('explains why a file cannot be used', async () => {
    const photo = readFileSync(sample('652_military_uniform/matplotlib_grace_hopper.jpg'));
    await expect(decodeImage(write('truncated.jpg', photo.subarray(0, photo.length / 3)), 224)).rejects.toThrow(
      /Could not decode this JPEG file: .+/,
    );
    await expect(decodeImage(write('notes.jpg', Buffer.from('just some text\n')), 224)).rejects.toThrow(/Not an image/);
    await expect(decodeImage(write('empty.png', Buffer.alloc(0)), 224)).rejects.toThrow(/Empty file/);
    const bmp = Buffer.alloc(64);
    bmp.write('BM', 0, 'ascii');
    await expect(decodeImage(write('old.bmp', bmp), 224)).rejects.toThrow(/BMP images are not supported/);
    await expect(decodeImage(path.join(dir, 'missing.jpg'), 224)).rejects.toThrow(/The file is gone/);
    await expect(decodeImage(dir, 224)).rejects.toThrow(/Not a plain file|A folder/);
  });
});

const FIT = {
  stretch: { fit: 'fill' },
  'centre-crop': { fit: 'cover', position: 'centre' },
  letterbox: { fit: 'contain', background: { r: 0, g: 0, b: 0 } },
} as const satisfies Record<ResizeMode, ResizeOptions>;
const MODES = Object.keys(FIT) as ResizeMode[];

const meanAbsoluteDifference = (a: Uint8Array, b: Uint8Array) => {
  expect(a.length).toBe(b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
};

describe('one decode per photo', () => {
  it('gives every output the size, crop and border sharp gives it from the whole picture', async () => {
    // Odd sizes on purpose: 512 × 600 to 224 by cover is 262.5 rows before the crop, which libvips rounds up.
    const sizes = [[512, 600], [1016, 675], [1920, 1080], [320, 201], [48, 32], [33, 1000], [451, 300], [224, 224]];
    for (const [width, height] of sizes) {
      const pixels = Buffer.alloc(width * height * 3);
      for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 2654435761) >>> 24;
      const image = () => sharp(pixels, { raw: { width, height, channels: 3 } });
      const info = async (pipeline: Sharp) => (await pipeline.raw().toBuffer({ resolveWithObject: true })).info;
      for (const mode of MODES) {
        const plan = planDecode(width, height, 224, mode);
        const label = `${width}×${height} ${mode}`;
        const thumbnail = await info(image().resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true }));
        // The decode is the thumbnail when it is small enough; otherwise the thumbnail is sharp's fit within 320².
        const ownThumbnail = Math.max(plan.decode.width, plan.decode.height) <= THUMBNAIL_LIMIT;
        expect(plan.thumbnail, label).toEqual(ownThumbnail ? plan.decode : { width: thumbnail.width, height: thumbnail.height });
        expect(plan.decode.width, label).toBeLessThanOrEqual(width);
        expect(plan.decode.width, label).toBeGreaterThanOrEqual(Math.min(width, Math.max(plan.thumbnail.width, plan.model.width)));
        expect(plan.decode.height, label).toBeGreaterThanOrEqual(Math.min(height, Math.max(plan.thumbnail.height, plan.model.height)));
        expect(Math.abs(plan.decode.width / plan.decode.height - width / height), label).toBeLessThan(0.02 * (width / height));
        const expected = await image().resize(224, 224, FIT[mode]).raw().toBuffer();
        // Same resize as sharp's (outside and inside use cover's and contain's scale), then the plan's crop or border.
        let planned = image().resize(224, 224, { fit: mode === 'letterbox' ? 'inside' : mode === 'centre-crop' ? 'outside' : 'fill' });
        const resized = await info(planned.clone());
        expect({ width: resized.width, height: resized.height }, label).toEqual({ width: plan.model.width, height: plan.model.height });
        const after = await planned.raw().toBuffer();
        planned = sharp(after, { raw: { width: resized.width, height: resized.height, channels: 3 } });
        if (plan.model.crop) planned = planned.extract(plan.model.crop);
        if (plan.model.border) planned = planned.extend({ ...plan.model.border, background: { r: 0, g: 0, b: 0 } });
        expect((await planned.raw().toBuffer()).equals(expected), label).toBe(true);
      }
    }
  });

  it('keeps the model input a faithful resize of every sample, as close to the photo as the two-decode path was', async () => {
    const files = readdirSync(new URL(samples), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .flatMap((d) => readdirSync(new URL(`${d.name}/`, samples)).map((f) => sample(`${d.name}/${f}`)));
    expect(files.length).toBeGreaterThanOrEqual(30);
    for (const mode of MODES) {
      let toOld = 0;
      let worstToOld = 0;
      let newToPhoto = 0;
      let oldToPhoto = 0;
      for (const file of files) {
        const bytes = readFileSync(file);
        const { pixels } = await decodeImageBytes(bytes, 224, mode);
        // What the model got before: its own decode of the file (sharp's shrink-on-load, then one resize).
        const old = await sharp(bytes).rotate().resize(224, 224, FIT[mode]).toColourspace('srgb').removeAlpha().raw().toBuffer();
        // The ideal: the whole picture decoded at full size, resized once.
        const full = await sharp(bytes).rotate().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
        const photo = await sharp(full.data, { raw: { width: full.info.width, height: full.info.height, channels: full.info.channels } })
          .resize(224, 224, FIT[mode])
          .removeAlpha()
          .raw()
          .toBuffer();
        const difference = meanAbsoluteDifference(pixels, old);
        toOld += difference / files.length;
        worstToOld = Math.max(worstToOld, difference);
        newToPhoto += meanAbsoluteDifference(pixels, photo) / files.length;
        oldToPhoto += meanAbsoluteDifference(old, photo) / files.length;
      }
      // Levels out of 255. A picture a pixel off, or upside down, is 5 to 50 levels away. Centre-crop differs most:
      // on shrink-on-load the old path's crop could sit a pixel off sharp's own geometry.
      expect(toOld, mode).toBeLessThan(mode === 'centre-crop' ? 2.5 : 1.5);
      expect(worstToOld, mode).toBeLessThan(5);
      expect(newToPhoto, mode).toBeLessThan(oldToPhoto + 0.25);
    }
  });
});

describe('sniffFormat', () => {
  it('recognises formats by their first bytes', () => {
    const b = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
    expect(sniffFormat(b('\xff\xd8\xff\xe0'))).toBe('jpeg');
    expect(sniffFormat(b('\x89PNG\r\n\x1a\n'))).toBe('png');
    expect(sniffFormat(b('RIFF\0\0\0\0WEBPVP8 '))).toBe('webp');
    expect(sniffFormat(b('GIF89a'))).toBe('gif');
    expect(sniffFormat(b('II*\0'))).toBe('tiff');
    expect(sniffFormat(b('MM\0*'))).toBe('tiff');
    expect(sniffFormat(b('BM'))).toBe('bmp');
    expect(sniffFormat(b('\0\0\0\x1cftypavif'))).toBe('avif');
    expect(sniffFormat(b('\0\0\0\x18ftypheic'))).toBe('heif');
    expect(sniffFormat(b('hello'))).toBeNull();
  });
});
