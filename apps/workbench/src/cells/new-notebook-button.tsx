'use client';
import { useState } from 'react';
import { sendJson } from './api';

export function NewNotebookButton() {
  const [title, setTitle] = useState('');
  const [error, setError] = useState<string | null>(null);
  return (
    <form
      onSubmit={async (e) => {
        e.preventDefault();
        try {
          const nb = await sendJson<{ id: string }>('/api/notebooks', 'POST', { title: title || 'Untitled notebook' });
          window.location.href = `/notebooks/${nb.id}`;
        } catch (err) {
          setError((err as Error).message);
        }
      }}
    >
      <input value={title} onChange={(e) => setTitle(e.target.value)} placeholder="New notebook title" />
      <button type="submit">Create notebook</button>
      {error && <span className="error">{error}</span>}
    </form>
  );
}
