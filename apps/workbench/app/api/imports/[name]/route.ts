import { BadRequest, answer, json, jsonBody } from '../../../../src/server/http';
import { cancelImport, resumeImport } from '../../../../src/server/import-jobs';
import { workbenchRoots } from '../../../../src/server/roots';

export const dynamic = 'force-dynamic';

/** { action: 'cancel' } stops a running import after the images in flight; { action: 'resume' } continues one. */
export function POST(request: Request, context: { params: Promise<{ name: string }> }): Promise<Response> {
  return answer(async () => {
    const { name } = await context.params;
    const { action } = await jsonBody<{ action?: unknown }>(request);
    const roots = workbenchRoots();
    if (action === 'cancel') return json(cancelImport(roots, name));
    if (action === 'resume') return json(resumeImport(roots, name));
    throw new BadRequest('"action" must be cancel or resume');
  });
}
