import sharp from 'sharp';

/** Decodes any image sharp reads into a size×size RGB buffer (grayscale and alpha become plain RGB). */
export async function readFaceImage(file: string | Buffer, size: number): Promise<Uint8Array> {
  const { data, info } = await sharp(file)
    .rotate()
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
): Promise<Uint8Array> {
  const pixels = size * size * 3;
  const out = new Uint8Array(files.length * pixels);
  let next = 0;
  let done = 0;
  const worker = async () => {
    for (let i = next++; i < files.length; i = next++) {
      out.set(await readFaceImage(files[i]!, size), i * pixels);
      if (++done % 200 === 0) onProgress?.(done, files.length);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  onProgress?.(files.length, files.length);
  return out;
}
