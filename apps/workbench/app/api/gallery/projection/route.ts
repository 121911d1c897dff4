import { answer, json, stringParam } from '../../../../src/server/http';
import { type ProjectionJob, projectionJob, startProjection } from '../../../../src/server/projection-jobs';
import { galleryDir } from '../../../../src/server/galleries';
import { workbenchRoots } from '../../../../src/server/roots';

export const dynamic = 'force-dynamic';

function view(job: ProjectionJob | null) {
  if (!job) return { status: 'none' };
  if (job.status !== 'done') return job;
  const { coordinates, ...rest } = job.view;
  // 4 decimals is far finer than a pixel at any zoom the map allows, and halves the JSON.
  return { status: 'done', ...rest, coordinates: Array.from(coordinates, (v) => Math.round(v * 1e4) / 1e4) };
}

/** The state of the gallery's projection job (none, running with progress, done with coordinates, failed). */
export function GET(request: Request): Promise<Response> {
  return answer(async () => {
    const gallery = stringParam(new URL(request.url).searchParams, 'gallery');
    galleryDir(workbenchRoots(), gallery);
    return json(view(projectionJob(gallery)));
  });
}

/** Starts the projection (or returns the one running or done). */
export function POST(request: Request): Promise<Response> {
  return answer(async () => {
    const gallery = stringParam(new URL(request.url).searchParams, 'gallery');
    return json(view(startProjection(workbenchRoots(), gallery)), { status: 202 });
  });
}
