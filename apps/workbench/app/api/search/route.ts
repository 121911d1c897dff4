import path from 'node:path';
import { engine } from '../../../src/server/engine-client';
import { openGallery } from '../../../src/server/galleries';
import { BadRequest, answer, json } from '../../../src/server/http';
import { runDirectory } from '../../../src/server/experiments';
import { workbenchRoots } from '../../../src/server/roots';
import { readUploadedPhoto } from '../../../src/server/upload';

export const dynamic = 'force-dynamic';

/**
 * Search by a query photo: the engine aligns its largest face, embeds it with the gallery's run (or the bundled model that built it) and returns the
 * k nearest gallery faces, optionally of one person or one tag.
 */
export function POST(request: Request): Promise<Response> {
  return answer(async () => {
    const roots = workbenchRoots();
    const { bytes, form } = await readUploadedPhoto(request, 'photo');
    const galleryId = String(form.get('gallery') ?? '');
    if (!galleryId) throw new BadRequest('missing field "gallery"');
    const k = Number(form.get('k') ?? 12);
    if (!Number.isInteger(k) || k < 1 || k > 100) throw new BadRequest('"k" must be a whole number from 1 to 100');
    const person = String(form.get('person') ?? '') || null;
    const tagRaw = String(form.get('tag') ?? '');
    const tagId = tagRaw === '' ? null : Number(tagRaw);
    if (tagId !== null && !Number.isInteger(tagId)) throw new BadRequest('"tag" must be a tag id');

    const { dir, gallery } = await openGallery(roots, galleryId);
    const runId = gallery.model?.runId;
    if (!runId) throw new BadRequest('this gallery does not name the run that embedded it, so a query cannot be embedded to match');
    const runDir = runDirectory(roots, runId);
    const query = await engine().request({ op: 'embed-query', runDir, image: bytes });
    const started = performance.now();
    const hits = await engine().request({ op: 'search', gallery: dir, vector: query.vector, k, person, tagId, database: roots.database });
    return json({
      runId,
      gallery: galleryId,
      scope: path.basename(dir),
      facesFound: query.facesFound,
      qualityIssues: query.qualityIssues,
      engine: query.engine,
      embedSeconds: query.seconds,
      searchSeconds: (performance.now() - started) / 1000,
      queryFace: `data:image/png;base64,${Buffer.from(query.facePng).toString('base64')}`,
      hits,
    });
  });
}
