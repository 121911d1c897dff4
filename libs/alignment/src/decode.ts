import { readFile } from 'node:fs/promises';
import sharp, { type Metadata } from 'sharp';
import { failure, type AlignFailure } from './failure';
import type { RgbImage } from './types';

export interface DecodeOptions {
  /** Decompression-bomb guard: images with more pixels are refused before decoding. Default 100 MP. */
  maxInputPixels?: number;
  /** Larger images are downscaled (area-averaged) for warping; faces in them are large anyway. Default 40 MP. */
  maxWorkingPixels?: number;
  /** The detector sees the image with its longest side at most this. Default 1024. */
  maxDetectSide?: number;
  /**
   * Images whose longest side is below this are upscaled to it and padded by half that on each side with
   * grey before detection: detectors miss faces that fill a tiny frame (e.g. 48×48 FER crops). Default 96.
   */
  minDetectSide?: number;
}

/** An image ready for detection and warping, with the maps between their coordinates. */
export interface DecodedImage {
  format: string;
  /** Size after EXIF orientation: the coordinate system of every reported box, landmark and transform. */
  width: number;
  height: number;
  /** RGB for warping: the oriented source, downscaled by `workingScale` (≤ 1) if over `maxWorkingPixels`. */
  working: RgbImage;
  workingScale: number;
  /** RGB for the detector: detection px = source px · detectScale + detectOffset. */
  detect: RgbImage;
  detectScale: number;
  detectOffset: number;
}

export type DecodeResult = { ok: true; image: DecodedImage } | { ok: false; error: AlignFailure };

const RASTER_FORMATS = new Set(['jpeg', 'png', 'webp', 'tiff', 'gif', 'avif', 'heif', 'jp2', 'jxl']);
const MID_GREY = { r: 128, g: 128, b: 128 };

export const DEFAULT_DECODE_OPTIONS: Required<DecodeOptions> = {
  maxInputPixels: 100_000_000,
  maxWorkingPixels: 40_000_000,
  maxDetectSide: 1024,
  minDetectSide: 96,
};

/** Decodes JPEG/PNG/WebP (and other raster formats sharp reads) of any orientation and colour space to sRGB. */
export async function decodeImage(input: string | Uint8Array, options: DecodeOptions = {}): Promise<DecodeResult> {
  const o = { ...DEFAULT_DECODE_OPTIONS, ...options };
  let bytes: Uint8Array;
  try {
    bytes = typeof input === 'string' ? await readFile(input) : input;
  } catch (err) {
    return { ok: false, error: failure('unreadable', (err as Error).message) };
  }
  if (bytes.length === 0) return { ok: false, error: failure('not-an-image', 'empty file') };

  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    const message = (err as Error).message;
    return { ok: false, error: /unsupported image format/i.test(message) ? failure('not-an-image', 'no known image signature') : failure('corrupt', message) };
  }
  if (!meta.format || !RASTER_FORMATS.has(meta.format)) return { ok: false, error: failure('unsupported-format', `${meta.format ?? 'unknown'} is not a raster photo format`) };
  if (!meta.width || !meta.height) return { ok: false, error: failure('corrupt', 'image header has no size') };
  const pixels = meta.width * meta.height;
  if (pixels > o.maxInputPixels) {
    return { ok: false, error: failure('too-large', `${meta.width}×${meta.height} = ${(pixels / 1e6).toFixed(0)} MP exceeds the ${(o.maxInputPixels / 1e6).toFixed(0)} MP limit`) };
  }
  const swap = (meta.orientation ?? 1) >= 5;
  const width = swap ? meta.height : meta.width;
  const height = swap ? meta.width : meta.height;

  let working: RgbImage;
  let workingScale = 1;
  try {
    let pipeline = sharp(bytes, { limitInputPixels: o.maxInputPixels, failOn: 'truncated' })
      .rotate() // applies and drops EXIF orientation
      .flatten({ background: MID_GREY }) // transparent pixels carry arbitrary colour; composite them on grey
      .toColourspace('srgb');
    if (pixels > o.maxWorkingPixels) {
      workingScale = Math.sqrt(o.maxWorkingPixels / pixels);
      pipeline = pipeline.resize(Math.max(1, Math.floor(width * workingScale)), Math.max(1, Math.floor(height * workingScale)), { fit: 'fill' });
    }
    const { data, info } = await pipeline.removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) return { ok: false, error: failure('corrupt', `decoded to ${info.channels} channels`) };
    working = { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
    workingScale = info.width / width;
  } catch (err) {
    return { ok: false, error: failure('corrupt', (err as Error).message) };
  }

  const { detect, detectScale, detectOffset } = await detectionView(working, workingScale, o);
  return { ok: true, image: { format: meta.format, width, height, working, workingScale, detect, detectScale, detectOffset } };
}

/** A view of the image made for a detector: view px = source px · scale + offset. */
export interface DetectionView {
  image: RgbImage;
  scale: number;
  offset: number;
}

/**
 * The image shrunk to `side` px on its longest side inside a mid-grey frame of `padShare × side` per side. A
 * face that fills its photo (a tight crop, a profile picture, a 48 px dataset face) becomes a face in context
 * at a size detectors are trained on; on such crops face-api's detectors find a face in the plain image less
 * than half the time.
 */
export async function framedView(image: DecodedImage, padShare: number, side: number): Promise<DetectionView> {
  const { working, workingScale } = image;
  const k = side / Math.max(working.width, working.height);
  const w = Math.max(1, Math.round(working.width * k)), h = Math.max(1, Math.round(working.height * k));
  const pad = Math.round(side * padShare);
  const { data, info } = await sharp(working.data, { raw: { width: working.width, height: working.height, channels: 3 } })
    .resize(w, h, { fit: 'fill', kernel: 'cubic' })
    .extend({ top: pad, bottom: pad, left: pad, right: pad, background: MID_GREY })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { image: { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height }, scale: (w / working.width) * workingScale, offset: pad };
}

async function detectionView(working: RgbImage, workingScale: number, o: Required<DecodeOptions>): Promise<Pick<DecodedImage, 'detect' | 'detectScale' | 'detectOffset'>> {
  const longest = Math.max(working.width, working.height);
  const raw = { raw: { width: working.width, height: working.height, channels: 3 as const } };
  if (longest < o.minDetectSide) {
    const k = o.minDetectSide / longest;
    const w = Math.round(working.width * k), h = Math.round(working.height * k);
    const pad = Math.round(o.minDetectSide / 2);
    const { data, info } = await sharp(working.data, raw)
      .resize(w, h, { fit: 'fill', kernel: 'cubic' })
      .extend({ top: pad, bottom: pad, left: pad, right: pad, background: MID_GREY })
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { detect: { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height }, detectScale: (w / working.width) * workingScale, detectOffset: pad };
  }
  if (longest > o.maxDetectSide) {
    const k = o.maxDetectSide / longest;
    const w = Math.max(1, Math.round(working.width * k)), h = Math.max(1, Math.round(working.height * k));
    const { data, info } = await sharp(working.data, raw).resize(w, h, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
    return { detect: { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height }, detectScale: (info.width / working.width) * workingScale, detectOffset: 0 };
  }
  return { detect: working, detectScale: workingScale, detectOffset: 0 };
}
