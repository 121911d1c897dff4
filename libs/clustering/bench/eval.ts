// Quality evaluation of an embedding gallery against its `label` field.
// Usage: nx run clustering:eval [-- --gallery <dir>] [-- --seed <n>]
//   Without --gallery, the newest experiments/*/test-gallery folder is used.
import { parseArgs } from 'node:util';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  type TagAnchors,
  assignTags,
  clusterPurity,
  kMeans,
  knnLabelPredictions,
  labelAccuracy,
  loadGallery,
  neighbourGraph,
  normalisedMutualInformation,
  rowOf,
  seededRandom,
  selectRows,
} from '../src/index';

const { values: args } = parseArgs({ options: { seed: { type: 'string' }, gallery: { type: 'string' } } });
const argValue = (name: '--seed' | '--gallery'): string | undefined => args[name === '--seed' ? 'seed' : 'gallery'];

function newestTestGallery(root: string): string | null {
  const experiments = join(root, 'experiments');
  if (!existsSync(experiments)) return null;
  const candidates = readdirSync(experiments)
    .map((run) => join(experiments, run, 'test-gallery'))
    .filter((dir) => existsSync(join(dir, 'gallery.json')))
    .map((dir) => ({ dir, mtime: statSync(join(dir, 'gallery.json')).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  return candidates[0]?.dir ?? null;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function table(title: string, header: string[], rows: string[][]): void {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  console.log(`\n${title}\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  for (const r of rows) console.log(line(r));
}

/** One example face per label, chosen by seed; every other labelled face goes to its nearest tag. */
function oneExampleTagAccuracy(
  embeddings: ReturnType<typeof selectRows>,
  labels: readonly string[],
  labelSet: readonly string[],
  seed: number,
): number {
  const random = seededRandom(seed);
  const exampleRows = labelSet.map((label) => {
    const rows = labels.flatMap((l, i) => (l === label ? [i] : []));
    return rows[Math.floor(random() * rows.length)]!;
  });
  const tags: TagAnchors[] = exampleRows.map((row, id) => ({
    id,
    radius: Infinity,
    centre: null,
    examples: [{ faceId: null, image: null, embedding: rowOf(embeddings, row) }],
  }));
  const { nearest } = assignTags(tags, embeddings);
  const isExample = new Set(exampleRows);
  const predicted: string[] = [];
  const truth: string[] = [];
  labels.forEach((label, i) => {
    if (isExample.has(i)) return;
    predicted.push(labelSet[nearest.tagIds[i]!]!);
    truth.push(label);
  });
  return labelAccuracy(predicted, truth);
}

async function main(): Promise<void> {
  const seed = Number(argValue('--seed') ?? 1);
  const given = argValue('--gallery');
  const dir = given ? resolve(given) : newestTestGallery(process.cwd());
  if (!dir) {
    console.error('No gallery found: there is no experiments/*/test-gallery folder yet.');
    console.error('Run `nx run trainer:train` first (it writes one), or pass --gallery <dir>.');
    process.exit(1);
  }
  const gallery = await loadGallery(dir);
  const labelledRows = gallery.faces.flatMap((f, i) => (f.label !== undefined && f.label !== '' ? [i] : []));
  if (labelledRows.length < 2) {
    console.error(`Gallery ${dir} has ${labelledRows.length} labelled faces; evaluation needs labels.`);
    process.exit(1);
  }
  const embeddings = selectRows(gallery.embeddings, labelledRows);
  const labels = labelledRows.map((r) => gallery.faces[r]!.label!);
  const labelSet = [...new Set(labels)].sort();
  const counts = labelSet.map((l) => labels.filter((x) => x === l).length);
  console.log(`Gallery ${dir}`);
  console.log(
    `model ${gallery.model?.runId ?? '(unknown)'}; ${labels.length} labelled of ${gallery.faces.length} faces; ` +
      `${labelSet.length} labels; majority-label baseline ${pct(Math.max(...counts) / labels.length)}`,
  );

  const clusterRows: string[][] = [];
  for (const k of [7, 20, 100]) {
    if (k > embeddings.count) {
      clusterRows.push([`K = ${k}`, 'n/a', 'n/a', 'fewer faces than K']);
      continue;
    }
    const start = performance.now();
    const result = kMeans(embeddings, k, { seed });
    clusterRows.push([
      `K = ${k}`,
      pct(clusterPurity(result.assignments, labels)),
      normalisedMutualInformation(result.assignments, labels).toFixed(3),
      `${Math.round(performance.now() - start)} ms`,
    ]);
  }
  table('K-Means clusters vs labels', ['clustering', 'purity', 'NMI', 'time'], clusterRows);

  const graph = await neighbourGraph(embeddings, Math.min(10, embeddings.count - 1));
  const knnRows = [1, 10]
    .filter((k) => k <= graph.k)
    .map((k) => [`k = ${k}${k > 1 ? ' (majority)' : ''}`, pct(labelAccuracy(knnLabelPredictions(graph, labels, k), labels))]);
  table('Leave-one-out k-NN label accuracy', ['neighbours', 'accuracy'], knnRows);

  const seeds = Array.from({ length: 10 }, (_, i) => seed + i);
  const accuracies = seeds.map((s) => oneExampleTagAccuracy(embeddings, labels, labelSet, s));
  const mean = accuracies.reduce((a, b) => a + b, 0) / accuracies.length;
  const sd = Math.sqrt(accuracies.reduce((a, b) => a + (b - mean) ** 2, 0) / accuracies.length);
  table('Tags from one example face per label (nearest tag)', ['examples', 'accuracy'], [
    [`seed ${seed}`, pct(accuracies[0]!)],
    [`mean ± sd over seeds ${seeds[0]}..${seeds.at(-1)}`, `${pct(mean)} ± ${pct(sd)}`],
  ]);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
