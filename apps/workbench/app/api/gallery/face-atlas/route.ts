import sharp from 'sharp';
import { ATLAS_MAX_FACES, ATLAS_MAX_SIZE, ATLAS_MIN_SIZE, atlasCell, atlasDimensions } from '../../../../src/face-atlas';
import { faceImageFile } from '../../../../src/server/galleries';
import { BadRequest, answer, jsonBody } from '../../../../src/server/http';
import { workbenchRoots } from '../../../../src/server/roots';

export const dynamic = 'force-dynamic';

/**
 * Many gallery faces in one PNG, for the map's thumbnails: POST { gallery, faces: [id…], size } answers the faces
 * in a grid (src/face-atlas.ts). A face not in the gallery fails the whole request (404), as face-image does.
 */
export function POST(request: Request): Promise<Response> {
  return answer(async () => {
    const body = await jsonBody<{ gallery?: unknown; faces?: unknown; size?: unknown }>(request);
    if (typeof body.gallery !== 'string' || body.gallery === '') throw new BadRequest('"gallery" must be a gallery id');
    const { faces, size } = body;
    if (!Array.isArray(faces) || faces.length === 0 || faces.length > ATLAS_MAX_FACES || !faces.every((f): f is string => typeof f === 'string')) {
      throw new BadRequest(`"faces" must be 1 to ${ATLAS_MAX_FACES} face ids`);
    }
    if (typeof size !== 'number' || !Number.isInteger(size) || size < ATLAS_MIN_SIZE || size > ATLAS_MAX_SIZE) {
      throw new BadRequest(`"size" must be a whole number from ${ATLAS_MIN_SIZE} to ${ATLAS_MAX_SIZE}`);
    }
    const roots = workbenchRoots();
    const files = await Promise.all(faces.map((face) => faceImageFile(roots, body.gallery as string, face)));
    const missing = faces.find((_, i) => files[i] === null);
    if (missing !== undefined) throw new BadRequest(`no face "${missing}" in the gallery`, 404);
    // Galleries often point several faces at one image file: resize each file once.
    const resized = new Map<string, Promise<Buffer>>();
    const tile = (file: string) => {
      let png = resized.get(file);
      if (!png) resized.set(file, (png = sharp(file).resize(size, size, { fit: 'cover' }).png().toBuffer()));
      return png;
    };
    const tiles = await Promise.all(files.map((file) => tile(file!)));
    const { width, height } = atlasDimensions(faces.length, size);
    const atlas = await sharp({ create: { width, height, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
      .composite(tiles.map((input, i) => ({ input, left: atlasCell(i, size).x, top: atlasCell(i, size).y })))
      .png({ compressionLevel: 1 })
      .toBuffer();
    return new Response(new Uint8Array(atlas), { headers: { 'content-type': 'image/png', 'cache-control': 'private, max-age=3600' } });
  });
}
