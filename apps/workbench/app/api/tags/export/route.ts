import { taxonomyExport } from '@feenet/clustering';
import { answer } from '../../../../src/server/http';
import { taxonomy } from '../../../../src/server/stores';

export const dynamic = 'force-dynamic';

/** The tag taxonomy as a JSON download: every tag's name, radius, centre, examples and provenance, nested. */
export function GET(): Promise<Response> {
  return answer(async () => {
    const body = JSON.stringify({ exportedAt: new Date().toISOString(), tags: taxonomyExport(taxonomy().tree()) }, null, 1);
    return new Response(body, { headers: { 'content-type': 'application/json', 'content-disposition': 'attachment; filename="taxonomy.json"' } });
  });
}
