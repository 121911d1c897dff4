import { BadRequest, answer, json, jsonBody } from '../../../../src/server/http';
import { taxonomy } from '../../../../src/server/stores';
import { tagViews } from '../../../../src/server/tag-view';

export const dynamic = 'force-dynamic';

type TagChange = { rename?: string; moveTo?: number | null; mergeInto?: number; radius?: number };

async function tagId(context: { params: Promise<{ id: string }> }): Promise<number> {
  const id = Number((await context.params).id);
  if (!Number.isInteger(id)) throw new BadRequest('not a tag id');
  return id;
}

/** One edit of a tag: rename, move under another parent (null: top level), merge into another, or a new radius. */
export function PATCH(request: Request, context: { params: Promise<{ id: string }> }): Promise<Response> {
  return answer(async () => {
    const id = await tagId(context);
    const change = await jsonBody<TagChange>(request);
    const store = taxonomy();
    if (typeof change.rename === 'string') store.rename(id, change.rename);
    else if (change.moveTo !== undefined) store.move(id, change.moveTo);
    else if (typeof change.mergeInto === 'number') store.merge(change.mergeInto, id);
    else if (typeof change.radius === 'number') store.setRadius(id, change.radius);
    else throw new BadRequest('say what to change: rename, moveTo, mergeInto or radius');
    return json({ tags: tagViews(store.tree()) });
  });
}

export function DELETE(request: Request, context: { params: Promise<{ id: string }> }): Promise<Response> {
  return answer(async () => {
    const id = await tagId(context);
    const withChildren = new URL(request.url).searchParams.get('withChildren') === 'true';
    taxonomy().delete(id, { withChildren });
    return json({ tags: tagViews(taxonomy().tree()) });
  });
}
