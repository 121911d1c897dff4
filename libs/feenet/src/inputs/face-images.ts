import sharp, { type Sharp } from 'sharp';
import { regionInPixels, sameRegion, WHOLE_IMAGE, type FaceRegion } from './face-region';

/**
 * Decodes any image sharp reads into a size×size RGB buffer (grayscale and alpha become plain RGB): `region` of
 * it (default the whole image), resized with lanczos3.
 */
export async function readFaceImage(file: string | Buffer, size: number, region: FaceRegion = WHOLE_IMAGE): Promise<Uint8Array> {
  let image = sharp(file).rotate();
  if (!sameRegion(region, WHOLE_IMAGE)) {
    // Extract from the decoded (and EXIF-rotated) pixels: a second pipeline, since sharp extracts before rotating.
    const { data, info } = await image.raw().toBuffer({ resolveWithObject: true });
    image = sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } }).extract(regionInPixels(region, info.width, info.height));
  }
  return resizedRgb(image, size);
}

/** An image as the backbones read it: size × size, RGB bytes (Lanczos, alpha dropped, sRGB). */
export async function resizedRgb(image: Sharp, size: number): Promise<Uint8Array> {
  const { data, info } = await image
    .resize(size, size, { fit: 'fill', kernel: 'lanczos3' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`expected 3 channels after decoding, got ${info.channels}`);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Reads many faces into one contiguous [n, size, size, 3] buffer, a few decodes in flight at a time. */
export async function readFaceImages(
  files: readonly string[],
  size: number,
  onProgress?: (done: number, total: number) => void,
  region: FaceRegion = WHOLE_IMAGE,
): Promise<Uint8Array> {
  const pixels = size * size * 3;
  const out = new Uint8Array(files.length * pixels);
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (let i = next++; i < files.length; i = next++) {
      out.set(await readFaceImage(files[i]!, size, region), i * pixels);
      if (++done % 200 === 0) onProgress?.(done, files.length);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  onProgress?.(files.length, files.length);
  return out;
}
