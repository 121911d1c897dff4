import { CELL_KINDS, newCell } from '../../../src/notebook/cells';
import { listGalleryIds } from '../../../src/server/galleries';
import { answer, json, jsonBody } from '../../../src/server/http';
import { workbenchRoots } from '../../../src/server/roots';
import { notebooks } from '../../../src/server/stores';

export const dynamic = 'force-dynamic';

export function GET(): Promise<Response> {
  return answer(async () => json({ notebooks: notebooks().list() }));
}

/** A new notebook with one cell of each kind. */
export function POST(request: Request): Promise<Response> {
  return answer(async () => {
    const body = await jsonBody<{ title?: string }>(request);
    const gallery = listGalleryIds(workbenchRoots())[0] ?? null;
    const notebook = notebooks().create(body.title ?? 'Untitled notebook', CELL_KINDS.map((k) => newCell(k, gallery)));
    return json(notebook, { status: 201 });
  });
}
