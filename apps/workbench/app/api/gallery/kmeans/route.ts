import { engine } from '../../../../src/server/engine-client';
import { galleryDir } from '../../../../src/server/galleries';
import { answer, intParam, json, stringParam } from '../../../../src/server/http';
import { workbenchRoots } from '../../../../src/server/roots';

export const dynamic = 'force-dynamic';

/** K-Means of a gallery: assignments for colouring and, per cluster, the faces nearest its centre. */
export function GET(request: Request): Promise<Response> {
  return answer(async () => {
    const params = new URL(request.url).searchParams;
    const dir = galleryDir(workbenchRoots(), stringParam(params, 'gallery'));
    const k = intParam(params, 'k', { min: 2, max: 500 });
    const seed = intParam(params, 'seed', { min: 0, max: 2 ** 31 - 1, fallback: 1 });
    const nearest = intParam(params, 'nearest', { min: 1, max: 50, fallback: 15 });
    const view = await engine().request({ op: 'kmeans', gallery: dir, k, seed, nearest });
    return json({ ...view, assignments: Array.from(view.assignments) });
  });
}
