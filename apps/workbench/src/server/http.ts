/** Route-handler plumbing: one mapping from domain errors to HTTP statuses, and parameter parsing that says what was wrong. */
import { NextResponse } from 'next/server';
import { GalleryFormatError, NotebookConflictError, NotebookError, TaxonomyError } from '@feenet/clustering';
import { EngineRequestError } from './engine-client';
import { OutsideRootError } from './roots';

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

/** Runs a handler and turns the errors a request can cause into 4xx answers; anything else is a logged 500. */
export async function answer(handler: () => Promise<Response>): Promise<Response> {
  try {
    return await handler();
  } catch (err) {
    if (err instanceof OutsideRootError) return json({ error: 'refused: outside the workbench roots' }, { status: 403 });
    if (err instanceof BadRequest) return json({ error: err.message }, { status: err.status });
    if (err instanceof NotebookConflictError) return json({ error: err.message, version: err.storedVersion }, { status: 409 });
    if (err instanceof EngineRequestError || err instanceof TaxonomyError || err instanceof NotebookError) return json({ error: err.message }, { status: 400 });
    if (err instanceof GalleryFormatError) return json({ error: err.message }, { status: 422 });
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return json({ error: 'not found' }, { status: 404 });
    console.error('workbench:', err);
    return json({ error: `server error: ${(err as Error).message}` }, { status: 500 });
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
