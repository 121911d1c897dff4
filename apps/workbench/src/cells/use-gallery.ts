'use client';
/** Loads a gallery's face list (ids, persons, labels) once per gallery id. */
import { useEffect, useState } from 'react';
import type { GalleryFaces } from '../server/galleries';
import { api, query } from './api';

export function useGalleryFaces(gallery: string | null): { faces: GalleryFaces | null; error: string | null } {
  const [state, setState] = useState<{ faces: GalleryFaces | null; error: string | null }>({ faces: null, error: null });
  useEffect(() => {
    if (!gallery) return;
    let live = true;
    setState({ faces: null, error: null });
    api<GalleryFaces>(`/api/gallery/faces?${query({ gallery })}`).then(
      (faces) => live && setState({ faces, error: null }),
      (e: Error) => live && setState({ faces: null, error: e.message }),
    );
    return () => {
      live = false;
    };
  }, [gallery]);
  return state;
}
