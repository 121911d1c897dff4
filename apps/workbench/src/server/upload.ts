/** Uploaded photos: bounded in size, and accepted only if they decode as an image of sensible dimensions. */
import sharp, { type Metadata } from 'sharp';
import { BadRequest } from './http';

export const MAX_UPLOAD_BYTES = 8 * 1024 * 1024;
const MAX_SIDE = 8000;
const FORMATS = new Set(['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif', 'heif']);

/** The uploaded file's bytes, or BadRequest (413 too large, 415 not an image). */
export async function readUploadedPhoto(request: Request, field: string): Promise<{ bytes: Uint8Array; form: FormData }> {
  const declared = Number(request.headers.get('content-length') ?? '0');
  // Refuse before reading a body that is already known to be too large (multipart overhead allowed for).
  if (declared > MAX_UPLOAD_BYTES + 64 * 1024) throw new BadRequest(`upload too large: at most ${MAX_UPLOAD_BYTES / 1024 / 1024} MB`, 413);
  let form: FormData;
  try {
    form = await request.formData();
  } catch {
    throw new BadRequest('expected a multipart form with a photo');
  }
  const file = form.get(field);
  if (!(file instanceof Blob)) throw new BadRequest(`missing file field "${field}"`);
  if (file.size === 0) throw new BadRequest('the uploaded file is empty', 415);
  if (file.size > MAX_UPLOAD_BYTES) throw new BadRequest(`upload too large: at most ${MAX_UPLOAD_BYTES / 1024 / 1024} MB`, 413);
  const bytes = new Uint8Array(await file.arrayBuffer());
  await checkImage(bytes);
  return { bytes, form };
}

/** Accepts bytes only if they decode, whole, as an image of a known format with sides of 16 to 8,000 px. */
export async function checkImage(bytes: Uint8Array): Promise<void> {
  let metadata: Metadata;
  try {
    metadata = await sharp(bytes).metadata();
  } catch {
    throw new BadRequest('the upload does not decode as an image', 415);
  }
  if (!metadata.format || !FORMATS.has(metadata.format)) throw new BadRequest(`unsupported image format: ${metadata.format ?? 'unknown'}`, 415);
  const { width = 0, height = 0 } = metadata;
  if (width < 16 || height < 16 || width > MAX_SIDE || height > MAX_SIDE) {
    throw new BadRequest(`image is ${width}×${height}; sides must be 16 to ${MAX_SIDE} px`, 415);
  }
  // Decoding the pixels, not just the header, catches truncated files.
  try {
    await sharp(bytes).raw().toBuffer();
  } catch {
    throw new BadRequest('the image is truncated or corrupt', 415);
  }
}
