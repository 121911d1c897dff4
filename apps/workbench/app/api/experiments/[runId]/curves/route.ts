import { isRunId, readLearningCurves, runDirectory } from '../../../../../src/server/experiments';
import { BadRequest, answer, json } from '../../../../../src/server/http';
import { workbenchRoots } from '../../../../../src/server/roots';

export const dynamic = 'force-dynamic';

export function GET(_request: Request, context: { params: Promise<{ runId: string }> }): Promise<Response> {
  return answer(async () => {
    const { runId } = await context.params;
    if (!isRunId(runId)) throw new BadRequest(`not a run id: ${runId}`);
    return json(readLearningCurves(runDirectory(workbenchRoots(), runId), runId));
  });
}
