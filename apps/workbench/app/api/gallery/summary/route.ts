import { engine } from '../../../../src/server/engine-client';
import { galleryDir } from '../../../../src/server/galleries';
import { answer, intParam, json, stringParam } from '../../../../src/server/http';
import { workbenchRoots } from '../../../../src/server/roots';

export const dynamic = 'force-dynamic';

/** A person's representative expressions: K-Means (K = 8 by default) over their faces, the face nearest each centre. */
export function GET(request: Request): Promise<Response> {
  return answer(async () => {
    const params = new URL(request.url).searchParams;
    const dir = galleryDir(workbenchRoots(), stringParam(params, 'gallery'));
    const k = intParam(params, 'k', { min: 1, max: 64, fallback: 8 });
    return json(await engine().request({ op: 'summary', gallery: dir, person: stringParam(params, 'person'), k }));
  });
}
