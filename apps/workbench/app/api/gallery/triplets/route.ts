import { engine } from '../../../../src/server/engine-client';
import { galleryDir } from '../../../../src/server/galleries';
import { answer, intParam, json, stringParam } from '../../../../src/server/http';
import { workbenchRoots } from '../../../../src/server/roots';

export const dynamic = 'force-dynamic';

/**
 * A labelled gallery's two-class triplets (anchor and positive share a label, across persons where known; the
 * negative has another), each with its three distances and the odd one out the embedding picks: the same seeded
 * triplets `trainer:evaluate --faces` scores, for looking at the ones the model gets wrong.
 */
export function GET(request: Request): Promise<Response> {
  return answer(async () => {
    const params = new URL(request.url).searchParams;
    const dir = galleryDir(workbenchRoots(), stringParam(params, 'gallery'));
    const count = intParam(params, 'count', { min: 1, max: 20_000, fallback: 2000 });
    const seed = intParam(params, 'seed', { min: 0, max: 2 ** 31 - 1, fallback: 1 });
    return json(await engine().request({ op: 'inspect-triplets', gallery: dir, count, seed }));
  });
}
