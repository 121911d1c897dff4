/** Route-handler plumbing: one mapping from domain errors to HTTP statuses, and parameter parsing that says what was wrong. */
import { NextResponse } from 'next/server';

export class BadRequest extends Error {
  override readonly name = 'BadRequest';
  constructor(
    message: string,
    readonly status: 400 | 404 | 413 | 415 = 400,
  ) {
    super(message);
  }
}

export function json(body: unknown, init?: ResponseInit): NextResponse {
  return NextResponse.json(body, init);
}

/**
 * The status each domain error answers with, by the error's `name`. Not `instanceof`: the production build can
 * hold two copies of a library's error class (one per bundle that imports it), and an error thrown by one copy
 * is no instance of the other. A name is a plain string that survives any bundling.
 */
const STATUS_OF_ERROR: Readonly<Record<string, number>> = {
  OutsideRootError: 403, // @feenet/workbench roots
  NotebookConflictError: 409, // @feenet/clustering notebook store: someone else saved first
  NotebookError: 400,
  TaxonomyError: 400, // a refused tag edit: cycle, duplicate name, unknown tag
  EngineRequestError: 400, // the engine refused the request: unknown person, no face in the photo
  GalleryFormatError: 422,
};

/** Runs a handler and turns the errors a request can cause into 4xx answers; anything else is a logged 500. */
export async function answer(handler: () => Promise<Response>): Promise<Response> {
  try {
    return await handler();
  } catch (err) {
    const e = err as Error & { status?: number; storedVersion?: number; code?: string };
    if (e?.name === 'BadRequest' && typeof e.status === 'number') return json({ error: e.message }, { status: e.status });
    const status = typeof e?.name === 'string' ? STATUS_OF_ERROR[e.name] : undefined;
    if (status === 403) return json({ error: 'refused: outside the workbench roots' }, { status });
    if (status === 409) return json({ error: e.message, version: e.storedVersion }, { status });
    if (status !== undefined) return json({ error: e.message }, { status });
    if (e?.code === 'ENOENT') return json({ error: 'not found' }, { status: 404 });
    console.error('workbench:', err);
    return json({ error: `server error: ${e?.message ?? String(err)}` }, { status: 500 });
  }
}

export function stringParam(params: URLSearchParams, name: string): string {
  const value = params.get(name);
  if (value === null || value === '') throw new BadRequest(`missing parameter "${name}"`);
  return value;
}

export function intParam(params: URLSearchParams, name: string, range: { min: number; max: number; fallback?: number }): number {
  const raw = params.get(name);
  if (raw === null || raw === '') {
    if (range.fallback !== undefined) return range.fallback;
    throw new BadRequest(`missing parameter "${name}"`);
  }
  const value = Number(raw);
  if (!Number.isInteger(value) || value < range.min || value > range.max) {
    throw new BadRequest(`"${name}" must be a whole number from ${range.min} to ${range.max}, got "${raw}"`);
  }
  return value;
}

export async function jsonBody<T>(request: Request): Promise<T> {
  try {
    return (await request.json()) as T;
  } catch {
    throw new BadRequest('the request body must be JSON');
  }
}
