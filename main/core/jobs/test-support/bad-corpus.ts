// Writes a folder of awkward inputs for the import tests: every file is made here, by code, from the
// bundled sample photos or from scratch. Each entry says what the import must make of it.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';

const samples = fileURLToPath(new URL('../../../../resources/samples/', import.meta.url));
const photo = (rel: string) => readFileSync(path.join(samples, rel));

export interface Expectation {
  /** 'done', or the pattern the recorded error must match. */
  outcome: 'done' | RegExp;
  /** Oriented size, where the test knows it. */
  size?: [number, number];
}

/** relPath → what the import must make of it; absent files (links, pipes) must not appear at all. */
export type Corpus = Map<string, Expectation>;

export interface BadCorpus {
  expected: Corpus;
  /** Files that must not become rows: symbolic links and things that are not files. */
  notListed: string[];
  /** Call once the scan has run: deletes the file that must vanish before it is decoded. */
  vanish: string;
  /** Why a case could not be made here (e.g. unreadable files as root), to print. */
  skipped: string[];
}

export async function writeBadCorpus(root: string): Promise<BadCorpus> {
  const expected: Corpus = new Map();
  const skipped: string[] = [];
  const put = (rel: string, bytes: Buffer | string, expectation: Expectation) => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), bytes);
    expected.set(rel, expectation);
  };
  const jpeg = photo('652_military_uniform/matplotlib_grace_hopper.jpg');

  put('broken/truncated.jpg', jpeg.subarray(0, Math.floor(jpeg.length / 3)), { outcome: /^Could not decode this JPEG file: \S/ });
  const corrupt = Buffer.from(jpeg);
  corrupt.fill(0x00, 4, 600); // the tables and frame header after the first marker are gone
  put('broken/corrupt.jpg', corrupt, { outcome: /^Could not decode this JPEG file: \S/ });
  put('broken/empty.jpg', Buffer.alloc(0), { outcome: /^Empty file$/ });
  put('broken/notes.jpg', 'These are my notes, not a photo.\n', { outcome: /^Not an image/ });
  put('broken/bomb.png', decompressionBomb(30_000, 30_000), { outcome: /^Too large to decode: 30000×30000 pixels \(900 megapixels\)/ });
  const heic = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypheicmif1heic'), Buffer.alloc(256, 7)]);
  put('broken/phone.heic', heic, { outcome: /^HEIC\/HEIF images are not supported/ });

  const base = sharp({ create: { width: 48, height: 32, channels: 3, background: { r: 200, g: 120, b: 40 } } });
  put('odd/16-bit.png', await base.clone().toColourspace('rgb16').png().toBuffer(), { outcome: 'done', size: [48, 32] });
  put('odd/cmyk.jpg', await base.clone().toColourspace('cmyk').jpeg().toBuffer(), { outcome: 'done', size: [48, 32] });
  put('odd/grey.jpg', await base.clone().toColourspace('b-w').jpeg().toBuffer(), { outcome: 'done', size: [48, 32] });
  const alpha = sharp({ create: { width: 48, height: 32, channels: 4, background: { r: 0, g: 90, b: 200, alpha: 0.3 } } });
  put('odd/alpha.png', await alpha.png().toBuffer(), { outcome: 'done', size: [48, 32] });
  const frames = await Promise.all(
    ['#ff0000', '#0000ff', '#00ff00'].map((background) =>
      sharp({ create: { width: 40, height: 24, channels: 3, background } }).png().toBuffer(),
    ),
  );
  put('odd/animated.gif', await sharp(frames, { join: { animated: true } }).gif().toBuffer(), { outcome: 'done', size: [40, 24] });
  for (let orientation = 1; orientation <= 8; orientation++) {
    const bytes = await base.clone().jpeg().withMetadata({ orientation }).toBuffer();
    put(`orientation/${orientation}.jpg`, bytes, { outcome: 'done', size: orientation >= 5 ? [32, 48] : [48, 32] });
  }
  put('ünïcødé 写真/café photo ☕.jpg', jpeg, { outcome: 'done', size: [512, 600] });
  put('  spaces  /a  photo  with   spaces .webp', photo('235_german_shepherd/gcompris_dog.webp'), { outcome: 'done' });
  put('is a png.jpg', photo('285_egyptian_cat/skimage_chelsea.png'), { outcome: 'done' });

  // Links are not followed: a loop back to the root, and a link to a photo, are not rows.
  symlinkSync(root, path.join(root, 'odd', 'loop'));
  symlinkSync(path.join(root, 'is a png.jpg'), path.join(root, 'link.jpg'));
  const notListed = ['odd/loop', 'link.jpg'];
  // A named pipe with an image name: reading it would wait forever.
  if (spawnSync('mkfifo', [path.join(root, 'pipe.jpg')]).status === 0) notListed.push('pipe.jpg');
  else skipped.push('named pipe: mkfifo is not available');

  const unreadable = 'locked/unreadable.jpg';
  put(unreadable, jpeg, { outcome: /^Permission denied/ });
  chmodSync(path.join(root, unreadable), 0o000);
  if (process.getuid?.() === 0) {
    // root reads a mode-000 file anyway; the case cannot be made honestly here.
    expected.set(unreadable, { outcome: 'done' });
    skipped.push('unreadable file: running as root, which reads mode-000 files, so it is imported normally');
  }

  const vanish = 'vanishing/gone.jpg';
  mkdirSync(path.join(root, 'vanishing'));
  copyFileSync(path.join(samples, '008_hen/gcompris_chicken.webp'), path.join(root, vanish));
  expected.set(vanish, { outcome: /^The file is gone/ });
  return { expected, notListed, vanish, skipped };
}

/**
 * A valid PNG that claims width × height 1-bit grey pixels, with all its rows: about 110 kB on disk,
 * 900 million pixels (2.7 GB as RGB) once decoded.
 */
function decompressionBomb(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([1, 0, 0, 0, 0], 8); // bit depth 1, greyscale, deflate, no filter method, no interlace
  const rows = Buffer.alloc((1 + Math.ceil(width / 8)) * height); // filter byte 0 + zero bits per row
  return Buffer.concat([
    Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}
