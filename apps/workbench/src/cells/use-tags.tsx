'use client';
/** The tag list, reloadable after an edit (every edit answers with the new list). */
import { useCallback, useEffect, useState } from 'react';
import type { TagView } from '../server/tag-view';
import { api } from './api';

export function useTags(): { tags: TagView[]; setTags: (tags: TagView[]) => void; reload: () => void; error: string | null } {
  const [tags, setTags] = useState<TagView[]>([]);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(() => {
    api<{ tags: TagView[] }>('/api/tags').then(
      (r) => setTags(r.tags),
      (e: Error) => setError(e.message),
    );
  }, []);
  useEffect(reload, [reload]);
  return { tags, setTags, reload, error };
}

export function TagOptions({ tags }: { tags: readonly TagView[] }) {
  return (
    <>
      <option value="">(top level)</option>
      {tags.map((t) => (
        <option key={t.id} value={t.id}>
          {'  '.repeat(t.depth)}
          {t.name}
        </option>
      ))}
    </>
  );
}
