import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { AlignFailureKind } from './failure';
import type { FoundBy } from './aligner';
import type { FaceQuality } from './quality';
import type { AffineMatrix, Box, FaceLandmarks5 } from './types';

/** One aligned face of a batch run: one JSON line of `manifest.jsonl`. Paths are relative and use `/`. */
export interface ManifestFaceLine {
  type: 'face';
  /** Source image, relative to the input folder. */
  source: string;
  face: number;
  /** How many faces the source has: a source is complete once lines 0..faces-1 are all present. */
  faces: number;
  /** PNG crop, relative to the output folder. */
  crop: string;
  /** Found by the detector on the photo as given, or by the framed second look (a face that fills its photo). */
  foundBy: FoundBy;
  box: Box;
  landmarks: FaceLandmarks5;
  transform: AffineMatrix;
  quality: FaceQuality;
  passesQuality: boolean;
  qualityIssues: string[];
}

/** A source that yielded no face, with the reason. */
export interface ManifestFailureLine {
  type: 'failure';
  source: string;
  kind: AlignFailureKind;
  message: string;
}

export type ManifestLine = ManifestFaceLine | ManifestFailureLine;

export interface ManifestState {
  /** Lines of completed sources only, deduplicated, in first-seen order. */
  lines: ManifestLine[];
  completed: Set<string>;
  /** Unparseable lines (a run killed mid-write) and lines of sources left incomplete. */
  dropped: number;
}

/**
 * Reads a manifest written by a possibly interrupted run. Sources count as completed only when all their
 * lines are present; partial sources and a truncated last line are dropped so the source is redone.
 */
export function readManifest(file: string, options: { retryFailed?: boolean } = {}): ManifestState {
  if (!existsSync(file)) return { lines: [], completed: new Set(), dropped: 0 };
  let dropped = 0;
  const bySource = new Map<string, ManifestLine[]>();
  for (const text of readFileSync(file, 'utf8').split('\n')) {
    if (text.trim() === '') continue;
    let line: ManifestLine;
    try {
      line = JSON.parse(text) as ManifestLine;
    } catch {
      dropped++;
      continue;
    }
    if ((line.type !== 'face' && line.type !== 'failure') || typeof line.source !== 'string') {
      dropped++;
      continue;
    }
    const list = bySource.get(line.source) ?? [];
    bySource.set(line.source, list);
    list.push(line);
  }
  const lines: ManifestLine[] = [];
  const completed = new Set<string>();
  for (const [source, list] of bySource) {
    const failure = list.filter((l): l is ManifestFailureLine => l.type === 'failure').at(-1);
    if (failure) {
      if (options.retryFailed) dropped += list.length;
      else {
        lines.push(failure);
        completed.add(source);
        dropped += list.length - 1;
      }
      continue;
    }
    // Manifests written before faces were searched twice have no foundBy: the detector found them.
    const faces = (list as ManifestFaceLine[]).map((l) => ({ ...l, foundBy: l.foundBy ?? 'detector' }));
    const n = faces[0]!.faces;
    const byIndex = new Map(faces.map((l) => [l.face, l] as const));
    if (n > 0 && faces.every((l) => l.faces === n) && Array.from({ length: n }, (_, i) => byIndex.has(i)).every(Boolean)) {
      for (let i = 0; i < n; i++) lines.push(byIndex.get(i)!);
      completed.add(source);
      dropped += faces.length - n;
    } else {
      dropped += faces.length;
    }
  }
  return { lines, completed, dropped };
}

/** Rewrites the manifest with only complete sources (atomically: temp file + rename). */
export function writeManifest(file: string, lines: readonly ManifestLine[]): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, lines.map((l) => JSON.stringify(l) + '\n').join(''));
  renameSync(tmp, file);
}
