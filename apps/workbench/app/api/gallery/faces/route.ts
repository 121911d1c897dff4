import { galleryFaces } from '../../../../src/server/galleries';
import { answer, json, stringParam } from '../../../../src/server/http';
import { workbenchRoots } from '../../../../src/server/roots';

export const dynamic = 'force-dynamic';

export function GET(request: Request): Promise<Response> {
  return answer(async () => json(await galleryFaces(workbenchRoots(), stringParam(new URL(request.url).searchParams, 'gallery'))));
}
