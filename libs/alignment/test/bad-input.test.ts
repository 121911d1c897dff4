import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAligner, decodeImage, type Aligner } from '../src/index';

const require = createRequire(import.meta.url);
const sample1 = require.resolve('@vladmandic/face-api/demo/sample1.jpg');
const dir = mkdtempSync(path.join(tmpdir(), 'alignment-bad-'));
let aligner: Aligner;

/** A valid PNG header claiming `w`×`h` with a token IDAT: a decompression bomb caught before decoding. */
function pngHeaderOnly(w: number, h: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(1000))), chunk('IEND', Buffer.alloc(0))]);
}

beforeAll(async () => {
  aligner = await createAligner();
});

describe('decodeImage', () => {
  it('normalises grayscale, alpha, 16-bit PNG and WebP to 8-bit RGB', async () => {
    const grey = await sharp({ create: { width: 30, height: 20, channels: 3, background: '#808080' } }).greyscale().png().toBuffer();
    const alpha = await sharp({ create: { width: 30, height: 20, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0.5 } } }).png().toBuffer();
    const deep = await sharp({ create: { width: 30, height: 20, channels: 3, background: '#204080' } }).png().toColourspace('rgb16').toBuffer();
    const webp = await sharp({ create: { width: 30, height: 20, channels: 3, background: '#00ff00' } }).webp({ lossless: true }).toBuffer();
    for (const bytes of [grey, alpha, deep, webp]) {
      const r = await decodeImage(bytes);
      expect(r.ok).toBe(true);
      if (!r.ok) continue;
      expect(r.image.working.data.length).toBe(30 * 20 * 3);
    }
    const w = await decodeImage(webp);
    expect(w.ok && Array.from(w.image.working.data.subarray(0, 3))).toEqual([0, 255, 0]);
  });

  it('applies EXIF orientation to the reported size', async () => {
    const tagged = await sharp({ create: { width: 40, height: 20, channels: 3, background: '#fff' } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const r = await decodeImage(tagged);
    expect(r.ok && [r.image.width, r.image.height]).toEqual([20, 40]);
  });

  it('refuses a decompression bomb from its header, without decoding it', async () => {
    const r = await decodeImage(pngHeaderOnly(20_000, 20_000));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ kind: 'too-large', message: expect.stringMatching(/20000×20000 = 400 MP exceeds the 100 MP limit/) });
  });

  it('gives each bad file its own kind and message', async () => {
    const jpeg = await sharp(sample1).jpeg().toBuffer();
    const cases: [string, Uint8Array | string, string][] = [
      ['truncated jpeg', jpeg.subarray(0, Math.floor(jpeg.length / 3)), 'corrupt'],
      ['damaged png body', Buffer.concat([pngHeaderOnly(64, 64).subarray(0, 40), Buffer.alloc(200, 7)]), 'corrupt'],
      ['text file', Buffer.from('hello, I am not an image\n'), 'not-an-image'],
      ['empty file', new Uint8Array(0), 'not-an-image'],
      ['svg', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'), 'unsupported-format'],
      ['missing file', path.join(dir, 'does-not-exist.jpg'), 'unreadable'],
    ];
    for (const [name, input, kind] of cases) {
      const r = await decodeImage(input);
      expect(r.ok, name).toBe(false);
      if (!r.ok) {
        expect(r.error.kind, `${name}: ${r.error.message}`).toBe(kind);
        expect(r.error.message.startsWith(`${kind}: `)).toBe(true);
      }
    }
  });
});

describe('aligner on bad input', () => {
  it('reports no-face for a plain image and for a 20,000-pixel-wide one (downscaled for detection)', async () => {
    const wide = path.join(dir, 'wide.jpg');
    await sharp({ create: { width: 20_000, height: 1_000, channels: 3, background: '#7090b0' } }).jpeg().toFile(wide);
    const blank = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#ddd' } }).png().toBuffer();
    for (const input of [wide, blank]) {
      const r = await aligner.alignImage(input);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.kind).toBe('no-face');
    }
  });

  it('never throws: corrupt bytes give an error result', async () => {
    writeFileSync(path.join(dir, 'junk.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
    const r = await aligner.alignImage(path.join(dir, 'junk.jpg'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.kind).toBe('corrupt');
  });
});
