/**
 * Import jobs end to end on the server side, with real job processes: a folder of photos becomes a gallery under
 * data/galleries with the unusable file listed; a job killed mid-way (as when the server or machine goes down)
 * is resumed when jobs are next listed and finishes with every face exactly once; cancel stops a job and resume
 * continues it; requests outside the roots or for the workbench's own folders are refused.
 */
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadGallery } from '@feenet/clustering';
import { type ImportJob, cancelImport, listImports, photoFolders, resumeImport, startImport } from '../src/server/import-jobs';
import { workbenchRoots } from '../src/server/roots';

const workspace = path.resolve(__dirname, '../../..');
const demo = (i: number) => path.join(workspace, `node_modules/@vladmandic/face-api/demo/sample${i}.jpg`);
const data = mkdtempSync(path.join(tmpdir(), 'workbench-imports-'));
const roots = workbenchRoots({ FEENET_WORKSPACE: workspace, WORKBENCH_DATA_ROOT: data });

/** A folder of demo photos (each copied `copies` times) and one file that is not an image. */
function photoFolder(name: string, copies: number): string {
  const dir = path.join(data, name);
  mkdirSync(dir, { recursive: true });
  for (let c = 0; c < copies; c++) for (const i of [1, 2, 3]) copyFileSync(demo(i), path.join(dir, `p${c}-${i}.jpg`));
  writeFileSync(path.join(dir, 'notes.jpg'), 'not an image');
  return name;
}

async function waitFor(name: string, done: (job: ImportJob) => boolean, timeoutMs = 240_000): Promise<ImportJob> {
  const started = Date.now();
  for (;;) {
    const job = listImports(roots).find((j) => j.spec.name === name);
    if (job && done(job)) return job;
    if (Date.now() - started > timeoutMs) throw new Error(`import ${name} still ${job?.state.status} after ${timeoutMs} ms (${JSON.stringify(job?.state)})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('import jobs', () => {
  it('turn a photo folder into a gallery and list the files they could not use', async () => {
    const folder = photoFolder('photos', 1);
    expect(photoFolders(roots)).toEqual([{ folder: 'photos', images: 4 }]);
    startImport(roots, { folder, runId: 'feenet-fer2013', name: 'demo' });
    const job = await waitFor('demo', (j) => j.state.status === 'completed' || j.state.status === 'failed');
    expect(job.state.error).toBeNull();
    expect(job.state.status).toBe('completed');
    expect(job.gallery).toBe('data/galleries/demo');
    expect(job.state.failures).toBe(1);
    expect(job.state.recentFailures[0]).toMatchObject({ file: 'notes.jpg' });
    const gallery = await loadGallery(path.join(data, 'galleries/demo'));
    expect(gallery.faces.length).toBeGreaterThanOrEqual(3);
    expect(gallery.model?.runId).toBe('feenet-fer2013');
  });

  it('resume a job whose process died, and finish with every face once', async () => {
    const folder = photoFolder('many', 4); // 12 photos + 1 bad file
    startImport(roots, { folder, runId: 'feenet-fer2013', name: 'killed' });
    const running = await waitFor('killed', (j) => j.state.done >= 2);
    process.kill(running.state.pid!, 'SIGKILL');
    // Listing notices the dead process and starts it again; it continues from the embed log.
    const job = await waitFor('killed', (j) => j.state.status === 'completed' || j.state.status === 'failed');
    expect(job.state.status).toBe('completed');
    const gallery = await loadGallery(path.join(data, 'galleries/killed'));
    const ids = gallery.faces.map((f) => f.id);
    expect(new Set(ids).size).toBe(ids.length);
    const reference = await loadGallery(path.join(data, 'galleries/demo'));
    expect(ids.length).toBe(4 * reference.faces.length);
  });

  it('cancel stops a job, resume continues it', async () => {
    const folder = photoFolder('more', 3);
    startImport(roots, { folder, runId: 'feenet-fer2013', name: 'paused', detector: 'tiny-face-detector' });
    await waitFor('paused', (j) => j.state.done >= 1);
    cancelImport(roots, 'paused');
    const stopped = await waitFor('paused', (j) => j.state.status !== 'running');
    expect(stopped.state.status).toBe('stopped');
    expect(stopped.gallery).toBeNull();
    resumeImport(roots, 'paused');
    const job = await waitFor('paused', (j) => j.state.status === 'completed' || j.state.status === 'failed');
    expect(job.state.status).toBe('completed');
    expect(job.state.done).toBe(10);
    expect(job.spec.detector).toBe('tiny-face-detector');
  });

  it('refuses folders outside the data root, its own folders, unknown runs and taken names', () => {
    expect(() => startImport(roots, { folder: '../etc', runId: 'feenet-fer2013', name: 'x' })).toThrow(/"\.\." is refused/);
    expect(() => startImport(roots, { folder: 'galleries', runId: 'feenet-fer2013', name: 'x' })).toThrow(/own files/);
    expect(() => startImport(roots, { folder: 'photos', runId: 'no-such-run', name: 'x' })).toThrow(/no run/);
    expect(() => startImport(roots, { folder: 'photos', runId: 'feenet-fer2013', name: 'demo' })).toThrow(/exists already/);
    expect(() => startImport(roots, { folder: 'photos', runId: 'feenet-fer2013', name: '../x' })).toThrow(/gallery name/);
    expect(() => startImport(roots, { folder: 'photos', runId: 'feenet-fer2013', name: 'y', detector: 'yolo' })).toThrow(/"detector" must be/);
  });
});
