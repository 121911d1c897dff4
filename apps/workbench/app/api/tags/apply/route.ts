import { engine } from '../../../../src/server/engine-client';
import { galleryDir } from '../../../../src/server/galleries';
import { answer, json, stringParam } from '../../../../src/server/http';
import { workbenchRoots } from '../../../../src/server/roots';

export const dynamic = 'force-dynamic';

/** Applies the taxonomy to a gallery: how many faces each tag covers. */
export function GET(request: Request): Promise<Response> {
  return answer(async () => {
    const roots = workbenchRoots();
    const dir = galleryDir(roots, stringParam(new URL(request.url).searchParams, 'gallery'));
    const applied = await engine().request({ op: 'apply-tags', gallery: dir, database: roots.database });
    return json({ ...applied, faceTags: Array.from(applied.faceTags) });
  });
}
