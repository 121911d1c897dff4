import { listRuns } from '../../../src/server/experiments';
import { answer, json } from '../../../src/server/http';
import { workbenchRoots } from '../../../src/server/roots';

export const dynamic = 'force-dynamic';

export function GET(): Promise<Response> {
  return answer(async () => json({ runs: listRuns(workbenchRoots()) }));
}
