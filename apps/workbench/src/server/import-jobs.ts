/**
 * Import jobs: a photo folder under the data root → aligned, embedded → a gallery under `data/galleries/<name>`.
 * Each job runs as its own process (engine/import-job.ts) so it neither blocks the engine's K-Means and UMAP nor
 * dies with a request; its files live in `data/imports/<name>/` (see import-protocol.ts). A job the server lost
 * (the server restarted, the process was killed) is resumed when jobs are next listed: the embed log keeps
 * every finished image.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { IMPORT_DETECTORS, IMPORT_STATUSES, type ImportDetector, type ImportSpec, type ImportState, writeImportState as writeState } from '../import-protocol';
import { isRunId, runDirectory } from './experiments';
import { BadRequest } from './http';
import { type WorkbenchRoots, resolveInRoot } from './roots';

export interface ImportJob {
  readonly spec: ImportSpec;
  readonly state: ImportState;
  /** The gallery's id once it is written (`data/galleries/<name>`). */
  readonly gallery: string | null;
}

/** Folders of the data root that hold the workbench's own output, never offered as photo folders. */
const OWN_FOLDERS = new Set(['galleries', 'imports', 'projections']);
const IMAGE_FILE = /\.(jpe?g|png|webp|gif|tiff?|avif|heic|heif|bmp)$/i;

const importsDir = (roots: WorkbenchRoots) => path.join(roots.data, 'imports');
const jobDir = (roots: WorkbenchRoots, name: string) => path.join(importsDir(roots), name);

function readJob(roots: WorkbenchRoots, name: string): ImportJob | null {
  const dir = jobDir(roots, name);
  try {
    const spec = JSON.parse(readFileSync(path.join(dir, 'job.json'), 'utf8')) as ImportSpec;
    const state = JSON.parse(readFileSync(path.join(dir, 'state.json'), 'utf8')) as ImportState;
    if (!IMPORT_STATUSES.includes(state.status)) return null;
    const gallery = existsSync(path.join(spec.galleryDir, 'gallery.json')) ? `data/galleries/${name}` : null;
    return { spec, state, gallery };
  } catch {
    return null; // being created, or damaged: not listed
  }
}

function alive(pid: number | null): boolean {
  if (pid === null) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts (or restarts) the job's process; detached, so it finishes even if the server stops first. */
function launch(roots: WorkbenchRoots, name: string): void {
  const dir = jobDir(roots, name);
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(roots.workspace, 'apps/workbench/engine/import-job.ts'), dir], {
    cwd: roots.workspace,
    stdio: 'ignore',
    detached: true,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  child.unref();
  const job = readJob(roots, name);
  if (job) writeState(dir, { ...job.state, status: 'running', pid: child.pid ?? null, error: null, updatedAt: new Date().toISOString() });
}

/** Every job, newest first; jobs left running by a server that is gone are resumed. */
export function listImports(roots: WorkbenchRoots): ImportJob[] {
  const dir = importsDir(roots);
  if (!existsSync(dir)) return [];
  const jobs: ImportJob[] = [];
  for (const name of readdirSync(dir)) {
    const job = readJob(roots, name);
    if (!job) continue;
    if ((job.state.status === 'running' || job.state.status === 'queued') && !alive(job.state.pid)) {
      launch(roots, name);
      jobs.push(readJob(roots, name) ?? job);
    } else jobs.push(job);
  }
  return jobs.sort((a, b) => b.spec.createdAt.localeCompare(a.spec.createdAt));
}

/** Folders under the data root that hold images (up to three levels down), with their image counts. */
export function photoFolders(roots: WorkbenchRoots): { folder: string; images: number }[] {
  const out: { folder: string; images: number }[] = [];
  const walk = (rel: string, depth: number): number => {
    let images = 0;
    let entries;
    try {
      entries = readdirSync(path.join(roots.data, rel), { withFileTypes: true });
    } catch {
      return 0;
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const child = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory() && !(depth === 0 && OWN_FOLDERS.has(e.name))) images += depth < 3 ? walk(child, depth + 1) : 0;
      else if (e.isFile() && IMAGE_FILE.test(e.name)) images++;
    }
    if (rel && images > 0) out.push({ folder: rel, images });
    return images;
  };
  walk('', 0);
  return out.sort((a, b) => a.folder.localeCompare(b.folder));
}

/** Validates the request against the roots, writes the job's files and starts it. */
export function startImport(
  roots: WorkbenchRoots,
  request: { folder: unknown; runId: unknown; name: unknown; personFrom?: unknown; labelFrom?: unknown; detector?: unknown },
): ImportJob {
  const { folder, runId, name } = request;
  if (typeof name !== 'string' || !isRunId(name)) throw new BadRequest('the gallery name must be 1–100 letters, digits, dots, dashes or underscores');
  if (typeof folder !== 'string' || folder === '') throw new BadRequest('pick a photo folder under the data root');
  if (typeof runId !== 'string' || !isRunId(runId)) throw new BadRequest('pick the run whose model embeds the faces');
  const choice = (v: unknown, field: string): 'folder' | 'none' => {
    if (v === undefined || v === null) return 'none';
    if (v === 'folder' || v === 'none') return v;
    throw new BadRequest(`"${field}" must be folder or none`);
  };
  const detector = request.detector ?? 'ssd-mobilenet-v1';
  if (!IMPORT_DETECTORS.includes(detector as ImportDetector)) throw new BadRequest(`"detector" must be ${IMPORT_DETECTORS.join(' or ')}`);
  const imagesDir = resolveInRoot(roots.data, folder);
  if (!existsSync(imagesDir) || !statSync(imagesDir).isDirectory()) throw new BadRequest(`no folder "${folder}" under the data root`, 404);
  if (OWN_FOLDERS.has(folder.split('/')[0]!)) throw new BadRequest(`"${folder}" holds the workbench's own files, not photos`);
  const runDir = runDirectory(roots, runId);
  if (!existsSync(path.join(runDir, 'config.json'))) throw new BadRequest(`no run "${runId}"`, 404);
  const galleryDir = path.join(roots.data, 'galleries', name);
  const dir = jobDir(roots, name);
  if (existsSync(dir) || existsSync(path.join(galleryDir, 'gallery.json'))) throw new BadRequest(`a gallery or import named "${name}" exists already`);

  const spec: ImportSpec = {
    name,
    folder,
    runId,
    imagesDir,
    runDir,
    galleryDir,
    personFrom: choice(request.personFrom, 'personFrom'),
    labelFrom: choice(request.labelFrom, 'labelFrom'),
    detector: detector as ImportDetector,
    createdAt: new Date().toISOString(),
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'job.json'), `${JSON.stringify(spec, null, 2)}\n`);
  writeState(dir, {
    status: 'queued',
    pid: null,
    done: 0,
    total: 0,
    faces: 0,
    failures: 0,
    imagesPerSecond: null,
    recentFailures: [],
    report: null,
    error: null,
    updatedAt: new Date().toISOString(),
  });
  launch(roots, name);
  return readJob(roots, name)!;
}

function existingJob(roots: WorkbenchRoots, name: string): ImportJob {
  if (!isRunId(name)) throw new BadRequest('bad import name');
  const job = readJob(roots, name);
  if (!job) throw new BadRequest(`no import "${name}"`, 404);
  return job;
}

/** Stops a running job after the images in flight (its process records "stopped"); finished images are kept. */
export function cancelImport(roots: WorkbenchRoots, name: string): ImportJob {
  const job = existingJob(roots, name);
  if (job.state.status !== 'running' && job.state.status !== 'queued') throw new BadRequest(`import "${name}" is ${job.state.status}, not running`);
  if (alive(job.state.pid)) process.kill(job.state.pid!, 'SIGTERM');
  else writeState(jobDir(roots, name), { ...job.state, status: 'stopped', pid: null, updatedAt: new Date().toISOString() });
  return readJob(roots, name)!;
}

/** Continues a stopped or failed job where it ended. */
export function resumeImport(roots: WorkbenchRoots, name: string): ImportJob {
  const job = existingJob(roots, name);
  if (job.state.status !== 'stopped' && job.state.status !== 'failed') throw new BadRequest(`import "${name}" is ${job.state.status}`);
  launch(roots, name);
  return readJob(roots, name)!;
}
