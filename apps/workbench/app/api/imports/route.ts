import { BadRequest, answer, json, jsonBody } from '../../../src/server/http';
import { listImports, photoFolders, startImport } from '../../../src/server/import-jobs';
import { workbenchRoots } from '../../../src/server/roots';

export const dynamic = 'force-dynamic';

/** The import jobs (newest first) and the photo folders under the data root a new one can take. */
export function GET(): Promise<Response> {
  return answer(async () => {
    const roots = workbenchRoots();
    return json({ jobs: listImports(roots), folders: photoFolders(roots) });
  });
}

/** Starts an import: { folder, runId, name, personFrom?, labelFrom?, detector? }. */
export function POST(request: Request): Promise<Response> {
  return answer(async () => {
    const body = await jsonBody<Record<string, unknown>>(request);
    if (typeof body !== 'object' || body === null) throw new BadRequest('the request body must be a JSON object');
    return json(startImport(workbenchRoots(), body as Parameters<typeof startImport>[1]), { status: 201 });
  });
}
