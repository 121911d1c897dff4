import sharp from 'sharp';
import { faceImageFile } from '../../../../src/server/galleries';
import { BadRequest, answer, intParam, stringParam } from '../../../../src/server/http';
import { workbenchRoots } from '../../../../src/server/roots';

export const dynamic = 'force-dynamic';

/** One gallery face as a small PNG (thumbnails for hover, clusters and search results). */
export function GET(request: Request): Promise<Response> {
  return answer(async () => {
    const params = new URL(request.url).searchParams;
    const size = intParam(params, 'size', { min: 16, max: 224, fallback: 96 });
    const file = await faceImageFile(workbenchRoots(), stringParam(params, 'gallery'), stringParam(params, 'face'));
    if (!file) throw new BadRequest('no such face in the gallery', 404);
    const png = await sharp(file).resize(size, size, { fit: 'cover' }).png().toBuffer();
    return new Response(new Uint8Array(png), { headers: { 'content-type': 'image/png', 'cache-control': 'private, max-age=3600' } });
  });
}
