import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isRunId } from '../../../../src/server/experiments';
import { BadRequest, answer, json } from '../../../../src/server/http';
import { startImport } from '../../../../src/server/import-jobs';
import { workbenchRoots } from '../../../../src/server/roots';
import { MAX_UPLOAD_BYTES, checkImage } from '../../../../src/server/upload';

export const dynamic = 'force-dynamic';

const MAX_FILES = 2000;
const MAX_TOTAL_BYTES = 256 * 1024 * 1024;

/**
 * Photos uploaded from the browser (multipart `photos`, many files; `name`, `runId`): each is checked as an image
 * and saved under `data/uploads/<name>/`; files that are not images are skipped and listed; then the folder is
 * imported like any other.
 */
export function POST(request: Request): Promise<Response> {
  return answer(async () => {
    const declared = Number(request.headers.get('content-length') ?? '0');
    if (declared > MAX_TOTAL_BYTES) throw new BadRequest(`upload too large: at most ${MAX_TOTAL_BYTES / 1024 / 1024} MB in one import`, 413);
    let form: FormData;
    try {
      form = await request.formData();
    } catch {
      throw new BadRequest('expected a multipart form with photos');
    }
    const name = String(form.get('name') ?? '');
    if (!isRunId(name)) throw new BadRequest('the gallery name must be 1–100 letters, digits, dots, dashes or underscores');
    const files = form.getAll('photos').filter((f): f is File => f instanceof File);
    if (files.length === 0) throw new BadRequest('no photos in the upload');
    if (files.length > MAX_FILES) throw new BadRequest(`at most ${MAX_FILES} photos in one upload`, 413);

    const roots = workbenchRoots();
    const folder = `uploads/${name}`;
    const dir = path.join(roots.data, folder);
    mkdirSync(dir, { recursive: true });
    const skipped: { file: string; reason: string }[] = [];
    let saved = 0;
    for (const file of files) {
      // The browser's file name, reduced to a safe base name (no folders, no dot-files).
      const base = path.basename(file.name).replace(/[^\w.-]+/g, '_').replace(/^[._]+/, '').slice(0, 120) || `photo-${saved}`;
      if (file.size > MAX_UPLOAD_BYTES) {
        skipped.push({ file: file.name, reason: `larger than ${MAX_UPLOAD_BYTES / 1024 / 1024} MB` });
        continue;
      }
      const bytes = new Uint8Array(await file.arrayBuffer());
      try {
        await checkImage(bytes);
      } catch (err) {
        skipped.push({ file: file.name, reason: (err as Error).message });
        continue;
      }
      writeFileSync(path.join(dir, base), bytes);
      saved++;
    }
    if (saved === 0) throw new BadRequest(`none of the ${files.length} files is an image: ${skipped.map((s) => `${s.file} (${s.reason})`).join('; ')}`, 415);
    const job = startImport(roots, { folder, runId: form.get('runId'), name, detector: form.get('detector') ?? undefined });
    return json({ job, saved, skipped }, { status: 201 });
  });
}
