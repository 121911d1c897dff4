import type { NotebookCell } from '../../../../src/server/notebook-store';
import { isCellKind } from '../../../../src/notebook/cells';
import { BadRequest, answer, json, jsonBody } from '../../../../src/server/http';
import { notebooks } from '../../../../src/server/stores';

export const dynamic = 'force-dynamic';

export function GET(_request: Request, context: { params: Promise<{ id: string }> }): Promise<Response> {
  return answer(async () => {
    const notebook = notebooks().get((await context.params).id);
    if (!notebook) throw new BadRequest('no such notebook', 404);
    return json(notebook);
  });
}

/** Saves cells (and title) on top of `version`; 409 if someone else saved since. */
export function PUT(request: Request, context: { params: Promise<{ id: string }> }): Promise<Response> {
  return answer(async () => {
    const { id } = await context.params;
    const body = await jsonBody<{ version: number; title?: string; cells: NotebookCell[]; writer?: { id: string; seq: number } }>(request);
    const writer = body.writer;
    if (writer !== undefined && !(typeof writer?.id === 'string' && writer.id.length <= 64 && Number.isInteger(writer.seq) && writer.seq >= 0)) throw new BadRequest('"writer" must be { id: text, seq: whole number }');
    if (!Number.isInteger(body.version)) throw new BadRequest('"version" must say which version the edit starts from');
    if (!Array.isArray(body.cells)) throw new BadRequest('"cells" must be an array');
    const unknown = body.cells.find((c) => !isCellKind(String(c?.kind)));
    if (unknown) throw new BadRequest(`unknown cell kind "${String(unknown.kind)}"`);
    return json(notebooks().save(id, body.version, { cells: body.cells, ...(body.title !== undefined ? { title: body.title } : {}) }, writer));
  });
}
