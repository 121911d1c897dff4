/**
 * The layout of a face atlas, shared by the route that composes one (app/api/gallery/face-atlas) and the map that
 * cuts thumbnails out of it: the faces asked for, in order, in a grid ATLAS_COLUMNS wide, each `size` pixels square.
 * One atlas request replaces up to ATLAS_MAX_FACES thumbnail requests, which matters when a zoom brings hundreds
 * of faces into view at once (a browser opens six connections to a host).
 */
export const ATLAS_COLUMNS = 8;
export const ATLAS_MAX_FACES = 64;
export const ATLAS_MIN_SIZE = 16;
export const ATLAS_MAX_SIZE = 128;

export function atlasCell(index: number, size: number): { x: number; y: number } {
  return { x: (index % ATLAS_COLUMNS) * size, y: Math.floor(index / ATLAS_COLUMNS) * size };
}

export function atlasDimensions(faces: number, size: number): { width: number; height: number } {
  return { width: Math.min(faces, ATLAS_COLUMNS) * size, height: Math.ceil(faces / ATLAS_COLUMNS) * size };
}
