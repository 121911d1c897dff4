/**
 * `nx run trainer:summary --gallery <dir> --person <p>`: a person's K representative expressions (K-Means over
 * their faces, the face nearest each centre, largest group first), printed and as a contact sheet. Without
 * `--person`, lists the gallery's persons with their face counts.
 */
import * as path from 'node:path';
import { summarisePerson, writeContactSheet } from '@feenet/clustering';
import { flagKinds, numberFlag, requiredStringFlag, stringFlag, UsageError, parseCommandFlags } from '../cli-args';
import { fileNameOf, imageSize, openGallery, sheetEntries } from '../gallery-faces';

const HELP = `usage: nx run trainer:summary --gallery <dir> [--person <name>] [options]

  --gallery <dir>     a gallery folder
  --person <name>     whose expressions to summarise; omitted: list the persons with their face counts
  --k <n>             representative expressions (default 8; fewer faces than K gives one per face)
  --seed <n>          K-Means seed (default 1)
  --out <file.png>    contact sheet (default <gallery>/summary-<person>.png)`;

const FLAGS = flagKinds(['gallery', 'person', 'k', 'seed', 'out']);

export async function run(argv: string[]): Promise<void> {
  const flags = parseCommandFlags(argv, HELP, FLAGS);
  if (!flags) return;
  const galleryDir = requiredStringFlag(flags, 'gallery');
  const k = numberFlag(flags, 'k') ?? 8;
  if (!Number.isInteger(k) || k < 1) throw new UsageError(`--k must be a whole number >= 1, got ${k}`);
  const seed = numberFlag(flags, 'seed') ?? 1;
  const gallery = await openGallery(galleryDir);

  const counts = new Map<string, number>();
  for (const f of gallery.faces) if (f.person !== undefined) counts.set(f.person, (counts.get(f.person) ?? 0) + 1);
  const person = stringFlag(flags, 'person');
  if (person === undefined) {
    const without = gallery.faces.length - [...counts.values()].reduce((a, b) => a + b, 0);
    if (counts.size === 0) {
      console.log(`the gallery's ${gallery.faces.length} faces have no person (embed with --person-from folder and one subfolder per person)`);
      return;
    }
    console.log(`${counts.size} persons in ${galleryDir}${without ? ` (and ${without} faces without a person)` : ''}:`);
    const width = Math.max(6, ...[...counts.keys()].map((p) => p.length));
    for (const [p, n] of [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))) console.log(`  ${p.padEnd(width)}  ${n}`);
    console.log('summarise one with --person <name>');
    return;
  }
  if (!counts.has(person)) {
    throw new UsageError(`no faces of person "${person}" in the gallery${counts.size ? ` (persons: ${[...counts.keys()].slice(0, 20).join(', ')})` : ''}`);
  }

  const summary = summarisePerson(gallery, person, { k, seed });
  const total = counts.get(person)!;
  console.log(`${person}: ${total} faces in ${summary.groups.length} expression groups${summary.k < k ? ` (K lowered to ${summary.k}: only ${total} faces)` : ''}, largest first`);
  console.log(`  group  faces  representative (nearest the centre)  distance`);
  summary.groups.forEach((g, i) => {
    console.log(`  ${String(i + 1).padStart(5)}  ${String(g.size).padStart(5)}  ${g.representative.id.padEnd(36)}  ${g.representative.distance.toFixed(4)}`);
  });

  const out = stringFlag(flags, 'out') ?? path.join(galleryDir, `summary-${fileNameOf(person)}.png`);
  const rows = summary.groups.map((g) => g.representative.row);
  await writeContactSheet(
    sheetEntries(galleryDir, gallery, rows, (f, i) => `${i + 1}. ${summary.groups[i]!.size} faces${f.label && f.label !== person ? ` · ${f.label}` : ''}`),
    out,
    { columns: Math.min(rows.length, 4), title: `${person}: ${summary.groups.length} expressions of ${total} faces` },
  );
  console.log(`contact sheet: ${out} (${await imageSize(out)})`);
}
