import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import sharp from 'sharp';
import type { Aligner, StageTimings } from './aligner';
import type { ManifestLine } from './manifest';

export interface AlignFileResult {
  lines: ManifestLine[];
  timings: StageTimings;
}

/** Crop file of face `index` of `source`: keeps the source's extension so a.jpg and a.png never collide. */
export function cropPath(source: string, index: number): string {
  return `crops/${source}.${index}.png`;
}

/**
 * Aligns one file of a batch and writes its crops; returns the manifest lines to append, which the caller
 * writes only after this resolves, so every manifest line points at a crop already on disk.
 */
export async function alignFileToCrops(aligner: Aligner, absolutePath: string, source: string, outputDir: string): Promise<AlignFileResult> {
  const result = await aligner.alignImage(absolutePath);
  if (!result.ok) return { lines: [{ type: 'failure', source, kind: result.error.kind, message: result.error.message }], timings: result.timings };
  const lines: ManifestLine[] = [];
  for (const face of result.faces) {
    const crop = cropPath(source, face.index);
    const file = path.join(outputDir, ...crop.split('/'));
    await mkdir(path.dirname(file), { recursive: true });
    const png = await sharp(face.image.data, { raw: { width: face.image.width, height: face.image.height, channels: 3 } }).png().toBuffer();
    await writeFile(file, png);
    lines.push({
      type: 'face',
      source,
      face: face.index,
      faces: result.faces.length,
      crop,
      foundBy: face.foundBy,
      box: face.box,
      landmarks: face.landmarks,
      transform: face.transform,
      quality: face.quality,
      passesQuality: face.passesQuality,
      qualityIssues: face.qualityIssues,
    });
  }
  return { lines, timings: result.timings };
}
