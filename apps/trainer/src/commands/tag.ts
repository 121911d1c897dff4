/**
 * `nx run trainer:tag --gallery <dir> <subcommand>`: the expression-tag taxonomy over a gallery, as thin shells
 * over libs/clustering's TaxonomyStore (SQLite, default data/workbench.db).
 *
 *   clusters   K-Means over the gallery; a sheet row per cluster of its faces nearest the centre
 *   create     a tag from a cluster (its centre + radius) or from example faces
 *   list       the tag tree (with face counts when --gallery is given)
 *   apply      assign every tag to the gallery's faces: counts, <gallery>/tags.json, a sheet per tag
 *   rename, move, merge, delete
 */
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import {
  DEFAULT_TAXONOMY_DB,
  ExactIndex,
  assignTags,
  kMeans,
  tagFromCluster,
  tagFromFaces,
  writeContactSheet,
  type ExpressionTag,
  type Gallery,
  type KMeansResult,
  type TagTreeNode,
  TaxonomyError,
  applicableTags,
  galleryExportCsv,
  galleryExportRows,
  projectGallery,
  taxonomyExport,
} from '@feenet/clustering';
import { booleanFlag, flagKinds, numberFlag, parseFlags, requiredStringFlag, stringFlag, UsageError, type FlagValue } from '../cli-args';
import { faceCaption, fileNameOf, imageSize, openGallery, openTaxonomy, sheetEntries, writeGroupRowsSheet } from '../gallery-faces';

type Flags = Map<string, FlagValue>;

const HELP = `usage: nx run trainer:tag [--gallery <dir>] [--db <file>] <subcommand> [options]

  --db <file>   the taxonomy (default ${DEFAULT_TAXONOMY_DB})

  clusters --k <K> [--seed 1] [--per-cluster 15] [--sheet-dir <dir>]
                K-Means over the gallery; prints each cluster's size, radius and labels, and writes overview
                sheets (a row per cluster, its faces nearest the centre; 20 clusters per sheet) to
                <gallery>/clusters-k<K>/ (or --sheet-dir)
  create --name <name> [--parent <id>] (--cluster <i> --k <K> [--seed 1] | --faces <id,id,...>) [--radius <r>]
                a tag from cluster i of the same K-Means (centre + radius; default radius covers 90% of its
                faces) or from example faces (default radius: the median distance of the examples to their
                10th nearest gallery face)
  list          the tag tree; with --gallery, how many of its faces each tag covers
  apply [--per-tag 15] [--sheet-dir <dir>]
                assigns the tags to the gallery: counts per tag, <gallery>/tags.json, and a sheet per tag of
                its faces nearest an anchor in <gallery>/tags/ (or --sheet-dir)
  rename --id <id> --name <name>
  move --id <id> --parent <id|none>
  merge --into <id> --id <id>           folds tag --id into tag --into (children and examples move over)
  delete --id <id> [--with-children]
  export --out <dir> [--map] [--k <K> [--seed 1]]
                writes <out>/faces.csv and faces.json (per face: person, label, with --map its UMAP map
                coordinates — the workbench's, reused from data/projections or made there —, with --k its K-Means
                cluster and distance to the centre, the tags covering it with distances) and <out>/taxonomy.json`;

const SUBCOMMANDS = ['clusters', 'create', 'list', 'apply', 'rename', 'move', 'merge', 'delete', 'export'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];
const FLAGS: Record<Subcommand, string[]> = {
  clusters: ['k', 'seed', 'per-cluster', 'sheet-dir'],
  create: ['name', 'parent', 'cluster', 'k', 'seed', 'faces', 'radius'],
  list: [],
  apply: ['per-tag', 'sheet-dir'],
  rename: ['id', 'name'],
  move: ['id', 'parent'],
  merge: ['into', 'id'],
  delete: ['id', 'with-children'],
  export: ['out', 'map', 'k', 'seed'],
};
const SWITCHES = ['with-children', 'map'];
/** Every subcommand's flags; each subcommand then refuses the others'. */
const ALL_FLAGS = flagKinds(
  [...new Set(['gallery', 'db', ...Object.values(FLAGS).flat()])].filter((f) => !SWITCHES.includes(f)),
  SWITCHES,
);
const NEEDS_GALLERY: readonly Subcommand[] = ['clusters', 'create', 'apply', 'export'];
const CLUSTERS_PER_SHEET = 20;

function positiveInt(flags: Flags, name: string, fallback?: number): number {
  const v = numberFlag(flags, name) ?? fallback;
  if (v === undefined) throw new UsageError(`--${name} is required`);
  if (!Number.isInteger(v) || v < 1) throw new UsageError(`--${name} must be a whole number >= 1, got ${v}`);
  return v;
}

function tagId(flags: Flags, name: string): number {
  const v = requiredStringFlag(flags, name);
  const id = Number(v);
  if (!Number.isInteger(id) || id < 1) throw new UsageError(`--${name} must be a tag id (a whole number), got "${v}"`);
  return id;
}

function runKMeans(gallery: Gallery, k: number, seed: number): KMeansResult {
  if (k > gallery.faces.length) throw new UsageError(`--k ${k} is more than the gallery's ${gallery.faces.length} faces`);
  return kMeans(gallery.embeddings, k, { seed });
}

/** "happy 12, sad 3" for a set of rows, most common first. */
function labelMix(gallery: Gallery, rows: ArrayLike<number>, top = 3): string {
  const counts = new Map<string, number>();
  for (const row of Array.from(rows)) {
    const label = gallery.faces[row]!.label;
    if (label !== undefined) counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([l, n]) => `${l} ${n}`)
    .join(', ');
}

export async function run(argv: string[]): Promise<void> {
  const { flags, positional } = parseFlags(argv, ALL_FLAGS, { positionals: true });
  const name = positional[0];
  if (flags.has('help') || name === 'help') {
    console.log(HELP);
    return;
  }
  if (!name) throw new UsageError(`a subcommand is needed: ${SUBCOMMANDS.join(', ')}\n\n${HELP}`);
  if (!(SUBCOMMANDS as readonly string[]).includes(name)) throw new UsageError(`unknown subcommand "${name}": one of ${SUBCOMMANDS.join(', ')}`);
  const sub = name as Subcommand;
  if (positional.length > 1) throw new UsageError(`unexpected argument "${positional[1]}" (values go after flags, e.g. --id 3)`);
  const allowed = new Set(['gallery', 'db', ...FLAGS[sub]]);
  const unknown = [...flags.keys()].find((f) => !allowed.has(f));
  if (unknown) throw new UsageError(`unknown flag --${unknown} for "tag ${sub}" (it takes ${[...allowed].map((f) => `--${f}`).join(' ')})`);

  const galleryDir = stringFlag(flags, 'gallery');
  if (NEEDS_GALLERY.includes(sub) && !galleryDir) throw new UsageError(`tag ${sub} needs --gallery <dir>`);
  const gallery = galleryDir ? await openGallery(galleryDir) : null;
  const dbPath = stringFlag(flags, 'db') ?? DEFAULT_TAXONOMY_DB;

  if (sub === 'clusters') return clusters(flags, galleryDir!, gallery!);
  const store = openTaxonomy(dbPath, sub !== 'create');
  try {
    switch (sub) {
      case 'create': {
        const tagName = requiredStringFlag(flags, 'name');
        const parentId = flags.has('parent') ? tagId(flags, 'parent') : null;
        const radius = numberFlag(flags, 'radius');
        if (radius !== undefined && !(radius >= 0)) throw new UsageError(`--radius must be >= 0, got ${radius}`);
        const facesFlag = stringFlag(flags, 'faces');
        if (flags.has('cluster') === (facesFlag !== undefined)) throw new UsageError('tag create needs either --cluster <i> --k <K> or --faces <id,id,...>');
        let created: ExpressionTag;
        if (facesFlag !== undefined) {
          const ids = facesFlag.split(',').map((s) => s.trim()).filter(Boolean);
          const missing = ids.filter((id) => !gallery!.faces.some((f) => f.id === id));
          if (ids.length === 0 || missing.length) throw new UsageError(ids.length ? `not in the gallery: ${missing.join(', ')}` : '--faces needs at least one face id');
          const r = radius ?? exampleRadius(gallery!, ids);
          created = store.create({ name: tagName, parentId, definition: tagFromFaces(gallery!, ids, r) });
          console.log(`created tag ${created.id} "${created.name}" from ${ids.length} example face(s), radius ${r.toFixed(4)}${radius === undefined ? ' (median distance of the examples to their 10th nearest face)' : ''}`);
        } else {
          const k = positiveInt(flags, 'k');
          const seed = numberFlag(flags, 'seed') ?? 1;
          const cluster = numberFlag(flags, 'cluster')!;
          if (!Number.isInteger(cluster) || cluster < 0 || cluster >= k) throw new UsageError(`--cluster must be between 0 and ${k - 1}, got ${cluster}`);
          const result = runKMeans(gallery!, k, seed);
          const made = tagFromCluster(gallery!, result, cluster, { mode: 'centre', seed, ...(radius !== undefined ? { radius } : {}) });
          created = store.create({ name: tagName, parentId, ...made });
          console.log(
            `created tag ${created.id} "${created.name}" from cluster ${cluster} of K-Means K=${k} seed ${seed} (${result.clusters[cluster]!.members.length} faces${labelMix(gallery!, result.clusters[cluster]!.members) ? `: ${labelMix(gallery!, result.clusters[cluster]!.members)}` : ''}), radius ${created.radius.toFixed(4)}${radius === undefined ? ' (covers 90% of the cluster)' : ''}`,
          );
        }
        const covered = assignTags([created], gallery!.embeddings).counts.get(created.id) ?? 0;
        console.log(`it covers ${covered} of the gallery's ${gallery!.faces.length} faces${parentId !== null ? `; parent: tag ${parentId}` : ''}; taxonomy: ${dbPath}`);
        return;
      }
      case 'list': {
        const counts = gallery ? countsFor(store.list(), gallery) : null;
        const tree = store.tree();
        if (tree.length === 0) {
          console.log(`no tags in ${dbPath}`);
          return;
        }
        console.log(`tags in ${dbPath}${gallery ? ` (faces covered of ${galleryDir}'s ${gallery.faces.length})` : ''}:`);
        printTree(tree, counts);
        if (counts?.skipped.length) for (const s of counts.skipped) console.log(`  not applied: ${s}`);
        return;
      }
      case 'apply':
        return await apply(flags, galleryDir!, gallery!, store.list(), store.tree(), dbPath);
      case 'rename': {
        const id = tagId(flags, 'id');
        const before = store.get(id).name;
        store.rename(id, requiredStringFlag(flags, 'name'));
        console.log(`renamed tag ${id} "${before}" → "${store.get(id).name}"`);
        return;
      }
      case 'move': {
        const id = tagId(flags, 'id');
        const parentFlag = requiredStringFlag(flags, 'parent');
        const parent = parentFlag === 'none' ? null : tagId(flags, 'parent');
        store.move(id, parent);
        console.log(`moved tag ${id} "${store.get(id).name}" ${parent === null ? 'to the top level' : `under tag ${parent} "${store.get(parent).name}"`}`);
        return;
      }
      case 'merge': {
        const into = tagId(flags, 'into');
        const id = tagId(flags, 'id');
        const absorbed = store.get(id).name;
        store.merge(into, id);
        console.log(`merged tag ${id} "${absorbed}" into tag ${into} "${store.get(into).name}" (its children and examples moved over)`);
        return;
      }
      case 'export':
        return await exportGallery(flags, galleryDir!, gallery!, store.list(), store.tree());
      case 'delete': {
        const id = tagId(flags, 'id');
        const tag = store.get(id);
        const descendants = store.list().filter((t) => t.parentId === id).length;
        store.delete(id, { withChildren: booleanFlag(flags, 'with-children') });
        console.log(`deleted tag ${id} "${tag.name}"${descendants ? ' and its sub-tags' : ''}`);
        return;
      }
    }
  } catch (err) {
    // Refused edits (unknown id, duplicate sibling name, a cycle) are the user's to fix: one line, no stack.
    if (err instanceof TaxonomyError) throw new UsageError(err.message.replace('pass withChildren: true', 'pass --with-children'));
    throw err;
  } finally {
    store.close();
  }
}

/** Median distance of the example faces to their 10th nearest other face: a radius on the gallery's own scale. */
function exampleRadius(gallery: Gallery, ids: readonly string[]): number {
  const index = new ExactIndex(gallery.embeddings);
  const k = Math.min(10, gallery.faces.length - 1);
  if (k < 1) throw new UsageError('the gallery has one face: pass --radius');
  const d = ids
    .map((id) => {
      const row = gallery.faces.findIndex((f) => f.id === id);
      const found = index.search(gallery.embeddings.data.subarray(row * gallery.embeddings.dim, (row + 1) * gallery.embeddings.dim), { k, exclude: row });
      return found.distances[found.distances.length - 1]!;
    })
    .sort((a, b) => a - b);
  return d[Math.floor(d.length / 2)]!;
}

function countsFor(all: readonly ExpressionTag[], gallery: Gallery): { tags: ExpressionTag[]; counts: ReadonlyMap<number, number>; skipped: string[] } {
  const { tags, skipped } = applicableTags(all, gallery);
  return { tags, skipped, counts: assignTags(tags, gallery.embeddings).counts };
}

function describeTag(t: ExpressionTag): string {
  const anchor = t.centre ? `centre${t.examples.length ? ` + ${t.examples.length} examples` : ''}` : `${t.examples.length} example${t.examples.length === 1 ? '' : 's'}`;
  const from = t.provenance ? `, cluster ${t.provenance.clusterIndex} of K=${t.provenance.k}` : '';
  return `${anchor}, radius ${t.radius.toFixed(3)}${from}`;
}

function printTree(nodes: readonly TagTreeNode[], counts: { counts: ReadonlyMap<number, number> } | null, depth = 0): void {
  for (const { tag, children } of nodes) {
    const n = counts ? counts.counts.get(tag.id) : undefined;
    console.log(`  ${'  '.repeat(depth)}${String(tag.id).padStart(3)}  ${tag.name}${n !== undefined ? `  — ${n} face${n === 1 ? '' : 's'}` : ''}  (${describeTag(tag)})`);
    printTree(children, counts, depth + 1);
  }
}

async function clusters(flags: Flags, galleryDir: string, gallery: Gallery): Promise<void> {
  const k = positiveInt(flags, 'k');
  const seed = numberFlag(flags, 'seed') ?? 1;
  const perCluster = positiveInt(flags, 'per-cluster', 15);
  const started = performance.now();
  const result = runKMeans(gallery, k, seed);
  console.log(
    `K-Means K=${k} seed ${seed} over ${gallery.faces.length} faces: inertia ${result.inertia.toFixed(2)}, ${result.iterations} iterations${result.converged ? '' : ' (not converged)'}, ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  const hasLabels = gallery.faces.some((f) => f.label !== undefined);
  console.log(`  cluster  faces  radius90${hasLabels ? '  labels' : ''}`);
  const groups = result.clusters.map((c) => {
    const d = c.distances;
    const radius = d.length ? d[Math.min(d.length - 1, Math.ceil(0.9 * d.length) - 1)]! : 0;
    console.log(`  ${String(c.index).padStart(7)}  ${String(c.members.length).padStart(5)}  ${radius.toFixed(4).padStart(8)}${hasLabels ? `  ${labelMix(gallery, c.members)}` : ''}`);
    return {
      caption: `#${c.index} · ${c.members.length}`,
      entries: sheetEntries(galleryDir, gallery, c.members.slice(0, perCluster), (f) => faceCaption(f)),
    };
  });
  const sheetDir = stringFlag(flags, 'sheet-dir') ?? path.join(galleryDir, `clusters-k${k}${seed === 1 ? '' : `-seed${seed}`}`);
  if (existsSync(sheetDir)) for (const f of readdirSync(sheetDir)) if (/^clusters-\d+-\d+\.png$/.test(f)) await rm(path.join(sheetDir, f));
  const written: string[] = [];
  for (let first = 0; first < groups.length; first += CLUSTERS_PER_SHEET) {
    const last = Math.min(groups.length, first + CLUSTERS_PER_SHEET) - 1;
    const file = path.join(sheetDir, `clusters-${String(first).padStart(3, '0')}-${String(last).padStart(3, '0')}.png`);
    await writeGroupRowsSheet(groups.slice(first, last + 1), file, {
      columns: perCluster,
      cellSize: 80,
      title: `K-Means K=${k} seed ${seed}: clusters ${first}–${last}, a row each, faces nearest the centre first`,
    });
    written.push(file);
  }
  console.log(`contact sheets (a row per cluster): ${written.length} in ${sheetDir} (first ${await imageSize(written[0]!)})`);
  console.log(`name one: nx run trainer:tag --gallery ${galleryDir} create --name <name> --cluster <i> --k ${k}${seed === 1 ? '' : ` --seed ${seed}`}`);
}

async function apply(flags: Flags, galleryDir: string, gallery: Gallery, all: readonly ExpressionTag[], tree: readonly TagTreeNode[], dbPath: string): Promise<void> {
  const perTag = positiveInt(flags, 'per-tag', 15);
  if (all.length === 0) {
    console.log(`no tags in ${dbPath}: make one with "tag create"`);
    return;
  }
  const { tags, skipped } = applicableTags(all, gallery);
  const assignment = assignTags(tags, gallery.embeddings);
  const untagged = assignment.byFace.filter((m) => m.length === 0).length;
  const several = assignment.byFace.filter((m) => m.length > 1).length;
  console.log(`applied ${tags.length} tags from ${dbPath} to ${gallery.faces.length} faces: ${gallery.faces.length - untagged} tagged (${several} with more than one tag), ${untagged} untagged`);
  printTree(tree, { counts: assignment.counts });
  for (const s of skipped) console.log(`  not applied: ${s}`);

  // The assignment, for the workbench and scripts: per face, its tags nearest first.
  const file = path.join(galleryDir, 'tags.json');
  await writeFile(
    file,
    JSON.stringify({
      db: path.resolve(dbPath),
      appliedAt: new Date().toISOString(),
      tags: tags.map((t) => ({ id: t.id, name: t.name, parentId: t.parentId, count: assignment.counts.get(t.id) ?? 0 })),
      faces: Object.fromEntries(
        gallery.faces.flatMap((f, row) => {
          const matches = assignment.byFace[row]!;
          return matches.length ? [[f.id, matches.map((m) => ({ tagId: m.tagId, distance: Number(m.distance.toFixed(5)) }))]] : [];
        }),
      ),
    }),
  );

  const sheetDir = stringFlag(flags, 'sheet-dir') ?? path.join(galleryDir, 'tags');
  if (existsSync(sheetDir)) for (const f of readdirSync(sheetDir)) if (/^tag-\d+-.*\.png$/.test(f)) await rm(path.join(sheetDir, f));
  let sheets = 0;
  for (const tag of tags) {
    const members = assignment.byFace
      .flatMap((matches, row) => matches.filter((m) => m.tagId === tag.id).map((m) => ({ row, distance: m.distance })))
      .sort((a, b) => a.distance - b.distance)
      .slice(0, perTag);
    if (members.length === 0) continue;
    const out = path.join(sheetDir, `tag-${tag.id}-${fileNameOf(tag.name)}.png`);
    await writeContactSheet(
      sheetEntries(galleryDir, gallery, members.map((m) => m.row), (f, i) => faceCaption(f, members[i]!.distance.toFixed(3))),
      out,
      { columns: Math.min(members.length, 5), cellSize: 112, title: `tag ${tag.id} "${tag.name}": ${assignment.counts.get(tag.id)} faces, nearest ${members.length}` },
    );
    sheets++;
  }
  console.log(`assignment: ${file}\ncontact sheets: ${sheets} in ${sheetDir} (tags covering no face get none)`);
}

/** The gallery as a table (CSV and JSON) and the taxonomy as JSON, for analysis outside the workbench. */
async function exportGallery(flags: Flags, galleryDir: string, gallery: Gallery, all: readonly ExpressionTag[], tree: readonly TagTreeNode[]): Promise<void> {
  const out = requiredStringFlag(flags, 'out');
  const k = numberFlag(flags, 'k') === undefined ? null : positiveInt(flags, 'k');
  const clustering = k === null ? null : runKMeans(gallery, k, numberFlag(flags, 'seed') ?? 1);
  const { tags } = applicableTags(all, gallery);
  const assignment = assignTags(tags, gallery.embeddings);
  // The workbench's map of this gallery (its projection cache under data/), made now if it has none yet.
  const coordinates = booleanFlag(flags, 'map') ? (await projectGallery(gallery, { cacheDir: path.join('data', 'projections') })).coordinates : null;
  const rows = galleryExportRows(gallery, { coordinates, kMeans: clustering, tags: { assignment, names: new Map(all.map((t) => [t.id, t.name])) } });
  await mkdir(out, { recursive: true });
  await writeFile(path.join(out, 'faces.csv'), galleryExportCsv(rows));
  await writeFile(path.join(out, 'faces.json'), JSON.stringify({ gallery: path.resolve(galleryDir), runId: gallery.model?.runId ?? null, k, rows }, null, 1));
  await writeFile(path.join(out, 'taxonomy.json'), JSON.stringify({ tags: taxonomyExport(tree) }, null, 1));
  console.log(`wrote ${rows.length} faces (${coordinates ? 'with' : 'without'} map coordinates${k ? `, K-Means K=${k}` : ''}, ${tags.length} tags) and the taxonomy to ${out}`);
}
