import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { BadRequest, answer, stringParam } from '../../../src/server/http';
import { resolveInRoot, workbenchRoots } from '../../../src/server/roots';

export const dynamic = 'force-dynamic';

const TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.json': 'application/json',
  '.jsonl': 'application/x-ndjson',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
};

/**
 * A file from the data or experiments root (contact sheets, run configs, metrics), by `root` and a relative
 * `path`. Anything leading out of the root is refused with 403, and only the listed types are served.
 */
export function GET(request: Request): Promise<Response> {
  return answer(async () => {
    const params = new URL(request.url).searchParams;
    const roots = workbenchRoots();
    const rootName = stringParam(params, 'root');
    if (rootName !== 'data' && rootName !== 'experiments') throw new BadRequest('"root" must be data or experiments');
    const file = resolveInRoot(rootName === 'data' ? roots.data : roots.experiments, stringParam(params, 'path'));
    const type = TYPES[path.extname(file).toLowerCase()];
    if (!type) throw new BadRequest('this file type is not served', 415);
    if (path.basename(file) === path.basename(roots.database)) throw new BadRequest('the database is not served', 415);
    return new Response(new Uint8Array(await readFile(file)), { headers: { 'content-type': type } });
  });
}
