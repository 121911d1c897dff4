import { redirect } from 'next/navigation';
import { workbenchRoots } from '../src/server/roots';
import { STARTER_NOTEBOOK_ID, ensureStarterNotebook } from '../src/server/starter-notebook';

export const dynamic = 'force-dynamic';

/** A first visit lands in the starter notebook, created over whatever runs exist. */
export default function Home() {
  ensureStarterNotebook(workbenchRoots());
  redirect(`/notebooks/${STARTER_NOTEBOOK_ID}`);
}
