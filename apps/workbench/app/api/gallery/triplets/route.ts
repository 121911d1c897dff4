import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { TripletSource } from '../../../../src/engine-protocol';
import { engine } from '../../../../src/server/engine-client';
import { runDirectory } from '../../../../src/server/experiments';
import { openGallery } from '../../../../src/server/galleries';
import { BadRequest, answer, intParam, json, stringParam } from '../../../../src/server/http';
import { type WorkbenchRoots, isInsideRoots, workbenchRoots } from '../../../../src/server/roots';

export const dynamic = 'force-dynamic';

/** The triplets file of the dataset the gallery's run was trained on (its summary.json names the dataset). */
function ratedTripletsFile(roots: WorkbenchRoots, runId: string | undefined): string {
  if (!runId) throw new BadRequest('this gallery does not name the run that embedded it');
  const summaryFile = path.join(runDirectory(roots, runId), 'summary.json');
  if (!existsSync(summaryFile)) throw new BadRequest(`run ${runId} has not finished: no summary.json`);
  const root = (JSON.parse(readFileSync(summaryFile, 'utf8')) as { dataset?: { root?: string } }).dataset?.root;
  if (!root) throw new BadRequest(`run ${runId}'s summary does not name its dataset`);
  const file = path.resolve(roots.workspace, root, 'triplets.jsonl');
  if (!isInsideRoots(roots, file)) throw new BadRequest(`run ${runId}'s dataset lies outside the workbench's data root`);
  return file;
}

/**
 * Triplets with their three distances and the odd one out the embedding picks. `source=labels` (default): a
 * labelled gallery's seeded two-class triplets (anchor and positive share a label, across persons where known),
 * the ones `trainer:evaluate --faces` scores. `source=run`: the rated test triplets of the dataset the gallery's run
 * was trained on (a run's test gallery), with their type and rater agreement.
 */
export function GET(request: Request): Promise<Response> {
  return answer(async () => {
    const params = new URL(request.url).searchParams;
    const roots = workbenchRoots();
    const { dir, gallery } = await openGallery(roots, stringParam(params, 'gallery'));
    const kind = params.get('source') ?? 'labels';
    let source: TripletSource;
    if (kind === 'run') source = { kind: 'rated', file: ratedTripletsFile(roots, gallery.model?.runId) };
    else if (kind === 'labels') {
      source = {
        kind: 'labels',
        count: intParam(params, 'count', { min: 1, max: 20_000, fallback: 2000 }),
        seed: intParam(params, 'seed', { min: 0, max: 2 ** 31 - 1, fallback: 1 }),
      };
    } else throw new BadRequest('"source" must be labels or run');
    return json(await engine().request({ op: 'inspect-triplets', gallery: dir, source }));
  });
}
