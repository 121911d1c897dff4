import path from 'node:path';
import { galleryExportCsv } from '@feenet/clustering';
import { engine } from '../../../../src/server/engine-client';
import { galleryDir } from '../../../../src/server/galleries';
import { BadRequest, answer, intParam, stringParam } from '../../../../src/server/http';
import { projectionJob } from '../../../../src/server/projection-jobs';
import { workbenchRoots } from '../../../../src/server/roots';

export const dynamic = 'force-dynamic';

/**
 * A gallery as a file to take elsewhere: per face its person, label, map coordinates (when the map has been
 * drawn), K-Means cluster and distance to its centre (with `k`), and the tags covering it with distances.
 * `format=csv` (default) or `json`; served as a download.
 */
export function GET(request: Request): Promise<Response> {
  return answer(async () => {
    const params = new URL(request.url).searchParams;
    const roots = workbenchRoots();
    const galleryId = stringParam(params, 'gallery');
    const dir = galleryDir(roots, galleryId);
    const format = params.get('format') ?? 'csv';
    if (format !== 'csv' && format !== 'json') throw new BadRequest('"format" must be csv or json');
    const k = params.get('k') ? intParam(params, 'k', { min: 2, max: 1000 }) : null;
    const seed = intParam(params, 'seed', { min: 0, max: 2 ** 31 - 1, fallback: 1 });
    const job = projectionJob(galleryId);
    const coordinates = job?.status === 'done' ? Float32Array.from(job.view.coordinates) : null;
    const rows = await engine().request({ op: 'export', gallery: dir, database: roots.database, k, seed, coordinates });
    const name = `${path.basename(dir)}${k ? `-k${k}` : ''}.${format}`;
    const body = format === 'csv' ? galleryExportCsv(rows) : JSON.stringify({ gallery: galleryId, k, seed, rows }, null, 1);
    return new Response(body, {
      headers: { 'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json', 'content-disposition': `attachment; filename="${name.replace(/[^A-Za-z0-9._-]/g, '_')}"` },
    });
  });
}
