'use client';
/**
 * The tag list, one per page and shared by every cell: a tag made in the map, a cluster or the taxonomy cell
 * shows in all of them at once (every edit answers with the new list, which is published to all).
 */
import { useCallback, useEffect, useState } from 'react';
import type { TagView } from '../server/tag-view';
import { api } from './api';

const listeners = new Set<(tags: TagView[]) => void>();
let current: TagView[] = [];

/** Shows a new tag list (an edit's answer) in every cell. */
export function publishTags(tags: TagView[]): void {
  current = tags;
  for (const listener of listeners) listener(tags);
}

export function useTags(): { tags: TagView[]; setTags: (tags: TagView[]) => void; reload: () => void; error: string | null } {
  const [tags, setLocal] = useState<TagView[]>(current);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(() => {
    api<{ tags: TagView[] }>('/api/tags').then(
      (r) => publishTags(r.tags),
      (e: Error) => setError(e.message),
    );
  }, []);
  useEffect(() => {
    listeners.add(setLocal);
    reload();
    return () => {
      listeners.delete(setLocal);
    };
  }, [reload]);
  return { tags, setTags: publishTags, reload, error };
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
