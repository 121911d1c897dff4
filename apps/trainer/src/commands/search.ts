/**
 * `nx run trainer:search --gallery <dir> --query <image>`: aligns and embeds the query's largest face with the
 * gallery's run, prints the k gallery faces nearest in expression (optionally of one person or one tag) and writes
 * a contact sheet, query first.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DEFAULT_TAXONOMY_DB, ExactIndex, findSimilarFaces, rowsWhere, writeContactSheet } from '@feenet/clustering';
import { findFaces, largestFace, writeFacePng } from '@feenet/inference';
import { booleanFlag, flagKinds, numberFlag, requiredStringFlag, stringFlag, UsageError, parseCommandFlags } from '../cli-args';
import {
  DEFAULT_EXPERIMENTS_DIR,
  enginePreference,
  faceCaption,
  fileNameOf,
  imageSize,
  openAligner,
  openEmbedder,
  openGallery,
  padFlag,
  runDirOf,
  runFaceSettings,
  sheetEntries,
  tagRows,
} from '../gallery-faces';

const HELP = `usage: nx run trainer:search --gallery <dir> --query <image> [options]

  --gallery <dir>           a gallery folder (nx run trainer:embed writes them)
  --query <image>           a photo; its largest face is the query
  --run <id|dir>            run that embeds the query (default: the gallery's model.runId)
  --k <n>                   faces to return (default 10)
  --person <name>           only faces of this person
  --tag <id>                only faces the tag (or one of its sub-tags) covers; --db <file> (default ${DEFAULT_TAXONOMY_DB})
  --out <file.png>          contact sheet (default <gallery>/search-<query name>.png)
  --aligned                 the query is already a face crop (no detection); --pad <share> as for embed
  --detector <name>, --min-confidence <p>, --engine <name>, --experiments-dir <dir>   as for embed`;

const FLAGS = flagKinds(['gallery', 'query', 'run', 'k', 'person', 'tag', 'db', 'out', 'pad', 'detector', 'min-confidence', 'engine', 'experiments-dir'], ['aligned']);

export async function run(argv: string[]): Promise<void> {
  const flags = parseCommandFlags(argv, HELP, FLAGS);
  if (!flags) return;

  const galleryDir = requiredStringFlag(flags, 'gallery');
  const query = requiredStringFlag(flags, 'query');
  if (!existsSync(query)) throw new UsageError(`query image not found: ${query}`);
  const k = numberFlag(flags, 'k') ?? 10;
  if (!Number.isInteger(k) || k < 1) throw new UsageError(`--k must be a whole number >= 1, got ${k}`);
  const gallery = await openGallery(galleryDir);
  const runFlag = stringFlag(flags, 'run') ?? gallery.model?.runId;
  if (!runFlag) throw new UsageError(`the gallery does not name the run that made it: pass --run <id>`);
  const runDir = runDirOf(runFlag, stringFlag(flags, 'experiments-dir') ?? DEFAULT_EXPERIMENTS_DIR);
  const runId = path.basename(path.resolve(runDir));
  if (gallery.model && gallery.model.runId !== runId) {
    console.log(`warning: the gallery was embedded with run ${gallery.model.runId}, the query with ${runId}: distances across runs mean nothing`);
  }

  // Which faces to search among.
  let subset: Uint32Array | undefined;
  let scope = `all ${gallery.faces.length} faces`;
  const person = stringFlag(flags, 'person');
  if (person !== undefined) {
    subset = rowsWhere(gallery, (f) => f.person === person);
    if (subset.length === 0) {
      const persons = [...new Set(gallery.faces.flatMap((f) => (f.person ? [f.person] : [])))];
      throw new UsageError(`no faces of person "${person}" in the gallery${persons.length ? ` (persons: ${persons.slice(0, 20).join(', ')}${persons.length > 20 ? ', …' : ''})` : ' (its faces have no person)'}`);
    }
    scope = `${subset.length} faces of ${person}`;
  }
  const tagFlag = numberFlag(flags, 'tag');
  if (tagFlag !== undefined) {
    const tagged = tagRows(gallery, stringFlag(flags, 'db') ?? DEFAULT_TAXONOMY_DB, tagFlag);
    const inTag = new Set(tagged.rows);
    subset = subset ? subset.filter((r) => inTag.has(r)) : tagged.rows;
    scope = `${subset.length} faces${person !== undefined ? ` of ${person}` : ''} tagged "${tagged.name}"`;
    if (subset.length === 0) throw new UsageError(`no faces to search: ${scope}`);
  }

  // The query face.
  const aligned = booleanFlag(flags, 'aligned');
  if (!aligned && flags.has('pad')) throw new UsageError('--pad only applies with --aligned');
  const prefer = enginePreference(flags);
  const aligner = aligned ? null : await openAligner(flags);
  const found = await findFaces(aligned ? { kind: 'crops', pad: padFlag(flags, runFaceSettings(runDir).folderPad ?? 0) } : { kind: 'photos', aligner: aligner! }, query);
  aligner?.dispose();
  if (!found.ok || found.faces.length === 0) {
    throw new UsageError(`no face found in ${query}${found.ok ? '' : ` (${found.message})`}`);
  }
  const face = largestFace(found.faces)!;
  const embedder = await openEmbedder(runDir, prefer, (l) => console.log(l));
  let vector: Float32Array;
  try {
    vector = await embedder.embedFaces([face.image]);
  } finally {
    await embedder.dispose();
  }
  const queryName = path.basename(query).replace(/\.[^.]+$/, '');
  console.log(
    `query: ${query}, face ${face.index + 1} of ${found.faces.length}${found.faces.length > 1 ? ' (the largest)' : ''}${face.passesQuality ? '' : ` (fails quality: ${face.issues.join(', ')})`}`,
  );

  const similar = findSimilarFaces(gallery, new ExactIndex(gallery.embeddings), { vector }, { k, ...(subset ? { subset } : {}) });
  console.log(`nearest ${similar.length} of ${scope}:`);
  const width = Math.max(2, ...similar.map((s) => s.id.length));
  console.log(`  rank  ${'id'.padEnd(width)}  ${'person'.padEnd(12)}  ${'label'.padEnd(10)}  distance`);
  similar.forEach((s, i) => {
    const f = gallery.faces[s.row]!;
    console.log(`  ${String(i + 1).padStart(4)}  ${s.id.padEnd(width)}  ${(f.person ?? '-').padEnd(12)}  ${(f.label ?? '-').padEnd(10)}  ${s.distance.toFixed(4)}`);
  });

  const out = stringFlag(flags, 'out') ?? path.join(galleryDir, `search-${fileNameOf(queryName)}.png`);
  const scratch = await mkdtemp(path.join(tmpdir(), 'feenet-search-'));
  try {
    const queryPng = path.join(scratch, 'query.png');
    await writeFacePng(face.image, queryPng);
    const entries = [
      { image: queryPng, caption: `query: ${queryName}`.slice(0, 24) },
      ...sheetEntries(galleryDir, gallery, similar.map((s) => s.row), (f, i) => `${i + 1}. ${faceCaption(f, similar[i]!.distance.toFixed(3))}`),
    ];
    await writeContactSheet(entries, out, { columns: Math.min(entries.length, 6), title: `${k} nearest to ${queryName} among ${scope}` });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  console.log(`contact sheet: ${out} (${await imageSize(out)})`);
}
