/** Route handlers called directly, with the roots pointed at a temporary workspace. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const workspace = mkdtempSync(path.join(tmpdir(), 'workbench-api-'));
let files: typeof import('../app/api/files/route');
let notebook: typeof import('../app/api/notebooks/[id]/route');
let notebooksRoute: typeof import('../app/api/notebooks/route');

beforeAll(async () => {
  process.env.FEENET_WORKSPACE = workspace;
  mkdirSync(path.join(workspace, 'experiments', 'run-1'), { recursive: true });
  mkdirSync(path.join(workspace, 'data'), { recursive: true });
  writeFileSync(path.join(workspace, 'experiments', 'run-1', 'config.json'), '{"backbone":"faceapi"}');
  writeFileSync(path.join(workspace, 'secret.json'), '{"secret":true}');
  files = await import('../app/api/files/route');
  notebook = await import('../app/api/notebooks/[id]/route');
  notebooksRoute = await import('../app/api/notebooks/route');
});
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

const get = (url: string) => files.GET(new Request(`http://localhost${url}`));

describe('GET /api/files', () => {
  it('serves a run file from inside the experiments root', async () => {
    const response = await get('/api/files?root=experiments&path=run-1/config.json');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ backbone: 'faceapi' });
  });

  it('refuses traversal with 403 and says nothing about the target', async () => {
    for (const p of ['../secret.json', '..%2Fsecret.json', 'run-1/../../secret.json', '%2Fetc%2Fpasswd']) {
      const response = await get(`/api/files?root=experiments&path=${p}`);
      expect(response.status, p).toBe(403);
      expect(await response.text()).not.toContain('secret');
    }
  });

  it('serves only known file types, never the database, and 404s what is missing', async () => {
    writeFileSync(path.join(workspace, 'data', 'workbench.db'), '');
    writeFileSync(path.join(workspace, 'data', 'script.sh'), 'echo');
    expect((await get('/api/files?root=data&path=script.sh')).status).toBe(415);
    expect((await get('/api/files?root=data&path=workbench.db')).status).toBe(415);
    expect((await get('/api/files?root=experiments&path=run-1/missing.json')).status).toBe(404);
    expect((await get('/api/files?root=home&path=x.json')).status).toBe(400);
  });
});

describe('notebooks API', () => {
  it('saves with the version it started from and answers 409 to a stale save', async () => {
    const created = await notebooksRoute.POST(new Request('http://localhost/api/notebooks', { method: 'POST', body: JSON.stringify({ title: 'Mine' }) }));
    expect(created.status).toBe(201);
    const { id, version, cells } = (await created.json()) as { id: string; version: number; cells: unknown[] };
    const context = { params: Promise.resolve({ id }) };
    const put = (body: unknown) => notebook.PUT(new Request(`http://localhost/api/notebooks/${id}`, { method: 'PUT', body: JSON.stringify(body) }), context);
    const first = await put({ version, cells: cells.slice(1) });
    expect(first.status).toBe(200);
    const stale = await put({ version, cells: [] });
    expect(stale.status).toBe(409);
    const reread = (await (await notebook.GET(new Request(`http://localhost/api/notebooks/${id}`), context)).json()) as { cells: unknown[] };
    expect(reread.cells).toHaveLength(cells.length - 1);
    expect((await put({ version: version + 1, cells: [{ id: 'x', kind: 'shell', params: {} }] })).status).toBe(400);
  });
});

describe('answer: domain errors → statuses', () => {
  // The production build can hold two copies of a library's error class; an error from the other copy is no
  // instance of the one http.ts imports. Such an error is made here by hand: same name, different class.
  const fromOtherCopy = (name: string, message: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(message), { name, ...extra });

  it('maps errors by name, whichever copy of their class threw them', async () => {
    const { answer } = await import('../src/server/http');
    const status = async (err: Error) => {
      const response = await answer(async () => {
        throw err;
      });
      return { status: response.status, body: (await response.json()) as { error: string; version?: number } };
    };
    expect(await status(fromOtherCopy('NotebookConflictError', 'notebook n was saved by someone else', { storedVersion: 7 }))).toEqual({
      status: 409,
      body: { error: 'notebook n was saved by someone else', version: 7 },
    });
    expect((await status(fromOtherCopy('TaxonomyError', 'cannot move tag 1 under 2: that would create a cycle'))).status).toBe(400);
    expect((await status(fromOtherCopy('EngineRequestError', 'no-face: no face found'))).status).toBe(400);
    expect((await status(fromOtherCopy('OutsideRootError', '/etc/passwd'))).body.error).not.toContain('passwd');
    expect((await status(fromOtherCopy('GalleryFormatError', 'bad gallery'))).status).toBe(422);
    expect((await status(new Error('boom'))).status).toBe(500);
  });
});
