import { answer, json, stringParam } from '../../../../src/server/http';
import { type ProjectionJob, projectionJob, startProjection } from '../../../../src/server/projection-jobs';
import { galleryDir } from '../../../../src/server/galleries';
import { workbenchRoots } from '../../../../src/server/roots';

export const dynamic = 'force-dynamic';

// 4 decimals is far finer than a pixel at any zoom the map allows, and halves the JSON.
const rounded = (coordinates: Float32Array) => Array.from(coordinates, (v) => Math.round(v * 1e4) / 1e4);

/**
 * A job as JSON. A running job's layout so far goes with it only when it is newer than the epoch the client
 * already has (`have`), so polling every half second does not resend the same coordinates.
 */
function view(job: ProjectionJob | null, have: number) {
  if (!job) return { status: 'none' };
  if (job.status === 'running') {
    const { preview, ...rest } = job;
    if (!preview) return { ...rest, preview: null };
    return { ...rest, preview: { epoch: preview.epoch, coordinates: preview.epoch > have ? rounded(preview.coordinates) : null } };
  }
  if (job.status !== 'done') return job;
  const { coordinates, ...rest } = job.view;
  return { status: 'done', ...rest, coordinates: rounded(coordinates) };
}

function haveParam(params: URLSearchParams): number {
  const have = Number(params.get('have'));
  return Number.isInteger(have) ? have : -1;
}

/** The state of the gallery's projection job (none, running with progress and its layout so far, done with coordinates, failed). */
export function GET(request: Request): Promise<Response> {
  return answer(async () => {
    const params = new URL(request.url).searchParams;
    const gallery = stringParam(params, 'gallery');
    galleryDir(workbenchRoots(), gallery);
    return json(view(projectionJob(gallery), haveParam(params)));
  });
}

/** Starts the projection (or returns the one running or done). */
export function POST(request: Request): Promise<Response> {
  return answer(async () => {
    const params = new URL(request.url).searchParams;
    const gallery = stringParam(params, 'gallery');
    return json(view(startProjection(workbenchRoots(), gallery), haveParam(params)), { status: 202 });
  });
}
