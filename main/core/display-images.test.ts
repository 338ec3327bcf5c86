// The full view's images from real files: scaled down, upright, checked like the import, made once and kept.
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DisplayImages } from './display-images';
import { DISPLAY_SIZE } from './scan/decode';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sightline-display-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A PNG whose header claims width × height pixels (400 megapixels here), with one empty data chunk. */
function pngClaiming(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), chunk('IHDR', header), chunk('IDAT', Buffer.alloc(0)), chunk('IEND', Buffer.alloc(0))]);
}

async function photo(name: string, width: number, height: number, orientation?: number): Promise<string> {
  const image = sharp({ create: { width, height, channels: 3, background: { r: 30, g: 120, b: 200 } } }).jpeg();
  const file = path.join(dir, name);
  writeFileSync(file, await (orientation ? image.withMetadata({ orientation }) : image).toBuffer());
  return file;
}

describe('DisplayImages', () => {
  it('scales a large photo down to the display size, upright, as a JPEG', async () => {
    const file = await photo('wide.jpg', 3000, 2000, 6);
    const jpeg = await new DisplayImages().get(file);
    const meta = await sharp(jpeg!).metadata();
    // Orientation 6 turns the picture a quarter: 2000 wide, 3000 high upright.
    expect([meta.format, meta.width, meta.height, meta.orientation]).toEqual(['jpeg', Math.round((DISPLAY_SIZE * 2000) / 3000), DISPLAY_SIZE, undefined]);
    const small = await new DisplayImages().get(await photo('small.jpg', 640, 480));
    expect((await sharp(small!).metadata()).width).toBe(640);
  });

  it('makes an image once while its file is unchanged, and again after it changed', async () => {
    const file = await photo('kept.jpg', 800, 600);
    const images = new DisplayImages();
    const [first, concurrent] = await Promise.all([images.get(file), images.get(file)]);
    expect(concurrent).toBe(first);
    expect(await images.get(file)).toBe(first);
    writeFileSync(file, await sharp({ create: { width: 300, height: 200, channels: 3, background: '#000' } }).jpeg().toBuffer());
    utimesSync(file, new Date(), new Date(Date.now() + 5_000));
    const changed = await images.get(file);
    expect(changed).not.toBe(first);
    expect((await sharp(changed!).metadata()).width).toBe(300);
  });

  it('keeps no more than its byte budget, least recently used out first', async () => {
    const files = await Promise.all([1, 2, 3].map((i) => photo(`budget-${i}.jpg`, 400, 300)));
    const images = new DisplayImages(1);
    const first = await images.get(files[0]);
    expect(await images.get(files[0])).not.toBe(first);
    const roomy = new DisplayImages(first!.length * 2 + 10);
    const [a, b] = [await roomy.get(files[0]), await roomy.get(files[1])];
    await roomy.get(files[0]);
    await roomy.get(files[2]);
    expect(await roomy.get(files[0])).toBe(a);
    expect(await roomy.get(files[1])).not.toBe(b);
  });

  it('shows nothing for what the import would refuse: other content, a pixel bomb, a missing file', async () => {
    const images = new DisplayImages();
    writeFileSync(path.join(dir, 'notes.jpg'), 'not a photo at all');
    expect(await images.get(path.join(dir, 'notes.jpg'))).toBeNull();
    // sharp would render an SVG (and whatever files it links to); the import takes only the formats it sniffs.
    writeFileSync(path.join(dir, 'drawing.jpg'), '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64"/></svg>');
    expect(await sharp(path.join(dir, 'drawing.jpg')).metadata()).toMatchObject({ format: 'svg' });
    expect(await images.get(path.join(dir, 'drawing.jpg'))).toBeNull();
    writeFileSync(path.join(dir, 'bomb.png'), pngClaiming(20_000, 20_000));
    expect(await images.get(path.join(dir, 'bomb.png'))).toBeNull();
    expect(await images.get(path.join(dir, 'gone.jpg'))).toBeNull();
  });
});
