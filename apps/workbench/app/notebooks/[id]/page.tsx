import { notFound } from 'next/navigation';
import { NotebookView } from '../../../src/cells/notebook-view';
import { listGalleries } from '../../../src/server/galleries';
import { workbenchRoots } from '../../../src/server/roots';
import { ensureStarterNotebook, STARTER_NOTEBOOK_ID } from '../../../src/server/starter-notebook';
import { notebooks } from '../../../src/server/stores';

export const dynamic = 'force-dynamic';

export default async function NotebookPage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  const roots = workbenchRoots();
  const notebook = id === STARTER_NOTEBOOK_ID ? ensureStarterNotebook(roots) : notebooks().get(id);
  if (!notebook) notFound();
  const galleries = await listGalleries(roots);
  return <NotebookView notebook={notebook} galleries={galleries} />;
}
