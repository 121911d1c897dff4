import sharp from 'sharp';

/** Packed 8-bit RGB, row-major: `data.length === width * height * 3`. */
export interface RgbFace {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Output side for a tight crop of `width`×`height` padded by `pad` of its side on each side. */
export function paddedFaceSize(width: number, height: number, pad: number): number {
  return Math.round(Math.max(width, height) * (1 + 2 * pad));
}

/**
 * A tight face crop (FER2013's 48×48 faces) placed where an aligned crop has its face: squared (cover), then a
 * border of `pad` × side on each side made by replicating the edge pixels. With pad 1/6 the face fills face-api's
 * feature box (FACEAPI_FACE_BOX) as an aligned 224 crop's does. `size` is the output side (default:
 * `paddedFaceSize` of the input). Labelled folders given as `aligned` are prepared with this, and galleries of
 * such crops are embedded with it, so both see the same pixels.
 */
export async function padTightFace(input: string | Buffer, options: { pad: number; size?: number }): Promise<RgbFace> {
  const { pad } = options;
  if (!(pad >= 0 && pad <= 1)) throw new RangeError(`pad must be in [0, 1], got ${pad}`);
  let size = options.size;
  if (size === undefined) {
    const meta = await sharp(input).rotate().metadata();
    const turned = (meta.orientation ?? 1) >= 5;
    size = paddedFaceSize((turned ? meta.height : meta.width) ?? 0, (turned ? meta.width : meta.height) ?? 0, pad);
    if (!size) throw new Error('cannot read the image size');
  }
  const inner = Math.round(size / (1 + 2 * pad));
  const border = Math.floor((size - inner) / 2);
  const square = await sharp(input).rotate().resize(inner, inner, { fit: 'cover' }).removeAlpha().toColourspace('srgb').png().toBuffer();
  const { data, info } = await sharp(square)
    .extend({ top: border, left: border, bottom: size - inner - border, right: size - inner - border, extendWith: 'copy' })
    .removeAlpha()
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`expected 3 channels, got ${info.channels}`);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}
