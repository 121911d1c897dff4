import { engine } from '../../../src/server/engine-client';
import { galleryDir } from '../../../src/server/galleries';
import { BadRequest, answer, json, jsonBody } from '../../../src/server/http';
import { workbenchRoots } from '../../../src/server/roots';
import { taxonomy } from '../../../src/server/stores';
import { tagViews } from '../../../src/server/tag-view';

export const dynamic = 'force-dynamic';

type NewTagRequest =
  | { from: 'cluster'; gallery: string; k: number; seed: number; cluster: number; name: string; parentId: number | null }
  | { from: 'faces'; gallery: string; faceIds: string[]; radius: number; name: string; parentId: number | null };

export function GET(): Promise<Response> {
  return answer(async () => json({ tags: tagViews(taxonomy().tree()) }));
}

/** A new tag from a K-Means cluster (its centre, radius covering 90 % of members) or from example faces. */
export function POST(request: Request): Promise<Response> {
  return answer(async () => {
    const roots = workbenchRoots();
    const body = await jsonBody<NewTagRequest>(request);
    if (typeof body.name !== 'string' || body.name.trim() === '') throw new BadRequest('a tag needs a name');
    const parentId = body.parentId ?? null;
    if (parentId !== null && !Number.isInteger(parentId)) throw new BadRequest('parentId must be a tag id or null');
    const gallery = galleryDir(roots, String(body.gallery ?? ''));
    let created: { tagId: number };
    if (body.from === 'cluster') {
      if (![body.k, body.seed, body.cluster].every(Number.isInteger)) throw new BadRequest('k, seed and cluster must be whole numbers');
      created = await engine().request({ op: 'tag-cluster', gallery, k: body.k, seed: body.seed, cluster: body.cluster, name: body.name, parentId, database: roots.database });
    } else if (body.from === 'faces') {
      if (!Array.isArray(body.faceIds) || body.faceIds.length === 0 || body.faceIds.length > 5000) throw new BadRequest('faceIds must list 1 to 5000 faces');
      if (!(Number.isFinite(body.radius) && body.radius >= 0 && body.radius <= 2)) throw new BadRequest('radius must be from 0 to 2');
      created = await engine().request({ op: 'tag-faces', gallery, faceIds: body.faceIds.map(String), radius: body.radius, name: body.name, parentId, database: roots.database });
    } else {
      throw new BadRequest('"from" must be "cluster" or "faces"');
    }
    return json({ tagId: created.tagId, tags: tagViews(taxonomy().tree()) }, { status: 201 });
  });
}
