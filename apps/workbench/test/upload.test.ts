import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { BadRequest } from '../src/server/http';
import { MAX_UPLOAD_BYTES, readUploadedPhoto } from '../src/server/upload';

function upload(bytes: Uint8Array<ArrayBuffer>, field = 'photo'): Request {
  const form = new FormData();
  form.set(field, new Blob([bytes]), 'photo.png');
  return new Request('http://localhost/api/search', { method: 'POST', body: form });
}

async function status(request: Request): Promise<number | 'ok'> {
  try {
    await readUploadedPhoto(request, 'photo');
    return 'ok';
  } catch (err) {
    if (err instanceof BadRequest) return err.status;
    throw err;
  }
}

describe('readUploadedPhoto', () => {
  it('accepts a real image', async () => {
    const png = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#a0b0c0' } }).png().toBuffer();
    const { bytes } = await readUploadedPhoto(upload(new Uint8Array(png)), 'photo');
    expect(bytes.length).toBe(png.length);
  });

  it('refuses text, truncated images, tiny images and oversized uploads', async () => {
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#808080' } }).png().toBuffer();
    const jpeg = await sharp({ create: { width: 256, height: 256, channels: 3, background: '#808080' } }).jpeg().toBuffer();
    const tiny = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).png().toBuffer();
    expect(await status(upload(new TextEncoder().encode('hello, not an image')))).toBe(415);
    expect(await status(upload(new Uint8Array(jpeg.subarray(0, Math.floor(jpeg.length / 3)))))).toBe(415);
    expect(await status(upload(new Uint8Array(tiny)))).toBe(415);
    expect(await status(upload(new Uint8Array(0)))).toBe(415);
    expect(await status(upload(new Uint8Array(MAX_UPLOAD_BYTES + 1)))).toBe(413);
    expect(await status(upload(new Uint8Array(png), 'file'))).toBe(400);
  });
});
