import { workbenchRoots } from '../../src/server/roots';
import { ensureStarterNotebook } from '../../src/server/starter-notebook';
import { notebooks } from '../../src/server/stores';
import { NewNotebookButton } from '../../src/cells/new-notebook-button';

export const dynamic = 'force-dynamic';

export default function NotebookList() {
  ensureStarterNotebook(workbenchRoots());
  const list = notebooks().list();
  return (
    <section className="cell">
      <h2>Notebooks</h2>
      <ul>
        {list.map((n) => (
          <li key={n.id}>
            <a href={`/notebooks/${encodeURIComponent(n.id)}`}>{n.title}</a> <span className="muted">({n.cells} cells, saved {n.updatedAt.replace('T', ' ').slice(0, 19)})</span>
          </li>
        ))}
      </ul>
      <NewNotebookButton />
    </section>
  );
}
