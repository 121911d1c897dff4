/**
 * The only places the workbench server reads from: the data root (datasets, galleries, the SQLite
 * database), the experiments root (training runs) and the models root (the models shipped with the project,
 * read like finished runs, never written). Every path a request names goes through
 * `resolveInRoot`, which refuses anything that would leave its root, symlinks included.
 */
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';

export type RootName = 'data' | 'experiments';

export interface WorkbenchRoots {
  readonly workspace: string;
  readonly data: string;
  readonly experiments: string;
  /** Bundled models (`models/` of the workspace): each a finished run folder a gallery can name. */
  readonly models: string;
  /** SQLite file with notebooks and the tag taxonomy. */
  readonly database: string;
}

/** Raised for any request path outside the roots; the API answers 403 without saying what exists. */
export class OutsideRootError extends Error {
  override readonly name = 'OutsideRootError';
}

/**
 * Roots from the environment (WORKBENCH_DATA_ROOT, WORKBENCH_EXPERIMENTS_ROOT, WORKBENCH_MODELS_ROOT,
 * WORKBENCH_DB), defaulting to the workspace's `data/`, `experiments/` and `models/`. Next runs with apps/workbench as its working directory.
 */
export function workbenchRoots(env: Readonly<Record<string, string | undefined>> = process.env): WorkbenchRoots {
  // Runtime paths, not build inputs: tell Turbopack's file tracer not to follow them.
  const workspace = path.resolve(/*turbopackIgnore: true*/ env.FEENET_WORKSPACE ?? path.resolve(/*turbopackIgnore: true*/ process.cwd(), '../..'));
  const data = path.resolve(workspace, env.WORKBENCH_DATA_ROOT ?? 'data');
  const experiments = path.resolve(workspace, env.WORKBENCH_EXPERIMENTS_ROOT ?? 'experiments');
  const models = path.resolve(workspace, env.WORKBENCH_MODELS_ROOT ?? 'models');
  const database = path.resolve(data, env.WORKBENCH_DB ?? 'workbench.db');
  if (!isInside(data, database)) throw new OutsideRootError('WORKBENCH_DB must lie inside the data root');
  return { workspace, data, experiments, models, database };
}

/**
 * An absolute path for `relative` inside `root`, or OutsideRootError. Refuses absolute paths, `..` segments,
 * NUL bytes and backslashes outright (no normalising them into something harmless), and checks the real path
 * of whatever exists so a symlink cannot lead out.
 */
export function resolveInRoot(root: string, relative: string): string {
  if (typeof relative !== 'string' || relative === '') throw new OutsideRootError('empty path');
  if (relative.includes('\0') || relative.includes('\\')) throw new OutsideRootError('path contains a forbidden character');
  if (path.isAbsolute(relative) || /^[a-zA-Z]:/.test(relative)) throw new OutsideRootError('absolute paths are refused');
  const segments = relative.split('/');
  if (segments.some((s) => s === '..')) throw new OutsideRootError('".." is refused');
  const resolved = path.resolve(root, relative);
  if (!isInside(root, resolved)) throw new OutsideRootError('path leaves its root');
  if (existsSync(resolved) && existsSync(root)) {
    const realRoot = realpathSync(root);
    if (!isInside(realRoot, realpathSync(resolved))) throw new OutsideRootError('path leads out of its root through a link');
  }
  return resolved;
}

/**
 * Whether an absolute path (e.g. a gallery's face image, which galleries store relative to themselves) lies in
 * one of the roots, checking real paths when the file exists.
 */
export function isInsideRoots(roots: WorkbenchRoots, absolute: string): boolean {
  const resolved = path.resolve(absolute);
  const real = existsSync(resolved) ? realpathSync(resolved) : resolved;
  return [roots.data, roots.experiments].some((root) => {
    const realRoot = existsSync(root) ? realpathSync(root) : root;
    return isInside(root, resolved) && isInside(realRoot, real);
  });
}

function isInside(root: string, candidate: string): boolean {
  const rel = path.relative(root, candidate);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}
