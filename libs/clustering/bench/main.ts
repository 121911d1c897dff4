// Speed bench for @feenet/clustering: search, K-Means and UMAP on random unit 16-d vectors.
// Usage: nx run clustering:bench [-- --quick] [-- --skip-umap] [-- --skip-1m-kmeans]
//   --quick uses 2,000 / 50,000 points for development; the targets refer to the full sizes.
import { parseArgs } from 'node:util';
import { ExactIndex, kMeans, projectEmbeddings, rowOf, seededRandom, type EmbeddingMatrix } from '../src/index';
import { cpus } from 'node:os';

const { values: args } = parseArgs({ options: { quick: { type: 'boolean' }, 'skip-1m-kmeans': { type: 'boolean' }, 'skip-umap': { type: 'boolean' } } });
const quick = args.quick === true;
const small = quick ? 2_000 : 22_000;
const large = quick ? 50_000 : 1_000_000;
const dim = 16;

function randomUnitVectors(count: number, seed: number): EmbeddingMatrix {
  const random = seededRandom(seed);
  const data = new Float32Array(count * dim);
  for (let i = 0; i < count; i++) {
    let norm = 0;
    for (let d = 0; d < dim; d++) {
      const g = Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
      data[i * dim + d] = g;
      norm += g * g;
    }
    norm = Math.sqrt(norm);
    for (let d = 0; d < dim; d++) data[i * dim + d]! /= norm;
  }
  return { dim, count, data };
}

interface Row {
  what: string;
  value: string;
  target: string;
  ok: boolean | null;
}
const rows: Row[] = [];
function record(what: string, ms: number | null, targetMs: number | null, note = ''): void {
  const value = ms === null ? note : `${ms < 100 ? ms.toFixed(1) : Math.round(ms)} ms${note ? ` ${note}` : ''}`;
  rows.push({
    what,
    value,
    target: targetMs === null ? '' : `< ${targetMs.toLocaleString('en')} ms`,
    ok: ms === null || targetMs === null ? null : ms < targetMs,
  });
  console.log(`  ${what}: ${value}`);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time<T>(fn: () => T): { ms: number; result: T } {
  const start = performance.now();
  const result = fn();
  return { ms: performance.now() - start, result };
}

function benchSearch(matrix: EmbeddingMatrix, targetMs: number | null): void {
  const index = new ExactIndex(matrix);
  const queries = randomUnitVectors(17, 999);
  const times: number[] = [];
  for (let q = 0; q < queries.count; q++) {
    const { ms } = time(() => index.search(rowOf(queries, q), { k: 10 }));
    if (q >= 2) times.push(ms); // first two warm the JIT up
  }
  record(`top-10 search, ${matrix.count.toLocaleString('en')} faces (median of ${times.length})`, median(times), targetMs);
}

function benchKMeans(matrix: EmbeddingMatrix, k: number, targetMs: number | null): void {
  const { ms, result } = time(() => kMeans(matrix, k, { seed: 1 }));
  record(`K-Means K=${k}, ${matrix.count.toLocaleString('en')} faces`, ms, targetMs, `(${result.iterations} iterations, 3 starts)`);
}

async function main(): Promise<void> {
  console.log(`@feenet/clustering bench — ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}${quick ? ' (QUICK sizes)' : ''}`);
  const full = !quick;
  const smallSet = randomUnitVectors(small, 1);
  benchSearch(smallSet, null);
  benchKMeans(smallSet, 8, null);
  benchKMeans(smallSet, 100, full ? 3_000 : null);

  let largeSet: EmbeddingMatrix | null = randomUnitVectors(large, 2);
  benchSearch(largeSet, full ? 100 : null);
  if (args['skip-1m-kmeans']) record(`K-Means K=8, ${large.toLocaleString('en')} faces`, null, null, 'skipped (--skip-1m-kmeans)');
  else benchKMeans(largeSet, 8, null);
  largeSet = null;

  if (args['skip-umap']) record(`UMAP, ${small.toLocaleString('en')} faces`, null, null, 'skipped (--skip-umap)');
  else {
    let lastPhase = '';
    let epochs = 0;
    const start = performance.now();
    await projectEmbeddings(smallSet, null, {
      seed: 1,
      onProgress: (p) => {
        if (p.phase === 'layout') epochs = p.epochs;
        const label = p.phase === 'layout' ? `layout ${Math.floor(p.fraction * 10) * 10}%` : 'neighbours';
        if (label !== lastPhase) {
          lastPhase = label;
          process.stdout.write(`  UMAP ${label} at ${((performance.now() - start) / 1000).toFixed(1)} s\n`);
        }
      },
    });
    record(`UMAP 2-D, ${small.toLocaleString('en')} faces (exact kNN + ${epochs} epochs)`, performance.now() - start, full ? 60_000 : null);
  }

  const peakMb = process.resourceUsage().maxRSS / 1024;
  rows.push({ what: 'peak memory (rss high-water)', value: `${Math.round(peakMb)} MB`, target: '', ok: null });

  const w0 = Math.max(...rows.map((r) => r.what.length));
  const w1 = Math.max(...rows.map((r) => r.value.length));
  console.log(`\n${'measurement'.padEnd(w0)}  ${'figure'.padEnd(w1)}  target`);
  console.log(`${'-'.repeat(w0)}  ${'-'.repeat(w1)}  ------`);
  for (const r of rows) {
    const verdict = r.ok === null ? '' : r.ok ? '  ok' : '  MISSED';
    console.log(`${r.what.padEnd(w0)}  ${r.value.padEnd(w1)}  ${r.target}${verdict}`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
