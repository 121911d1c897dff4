/**
 * What the model's and the inference engines' benches share: each row measured in its own child process (so its
 * peak RSS is its own, worker threads included), process CPU time next to wall time (on a shared machine other
 * jobs slow the wall clock, CPU time much less), PyTorch rows through `torch_b0.py`, and one table format.
 * Imported as `@feenet/feenet/bench-rows`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as os from 'node:os';
import { fileURLToPath } from 'node:url';

const PYTHON = '/usr/bin/python3';
const TORCH_B0 = fileURLToPath(new URL('./torch_b0.py', import.meta.url));

export interface BenchRow {
  kind: 'training' | 'inference';
  engine: string;
  size: number;
  /** Inference: faces per batch; training: triplets per step (3× as many faces in one batch). */
  batch: number;
  /** onnxruntime and PyTorch: intra-op threads; tfjs: worker threads (one core each). */
  threads: number;
  /** Measure for at least this long (after one warm-up batch). */
  minSeconds: number;
}

export interface RowResult {
  /** items/s: faces/s for inference rows, triplets/s for training rows. */
  throughput?: number;
  msPerItem?: number;
  /** Process CPU time (all threads) per item. */
  cpuMsPerItem?: number;
  peakRssMB?: number;
  items?: number;
  detail?: string;
  skipped?: string;
}

export type Measured<Row extends BenchRow = BenchRow> = { spec: Row; result: RowResult };

export function randomFaces(count: number, size: number): Float32Array {
  const x = new Float32Array(count * size * size * 3);
  for (let i = 0; i < x.length; i++) x[i] = Math.random() * 255;
  return x;
}

export function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

/** The same B0 FEENet in PyTorch 1.13 eager (Debian's python3-torch under /usr/bin/python3); skipped without it. */
export function pytorchRow(spec: BenchRow): RowResult {
  if (!existsSync(PYTHON)) return { skipped: `${PYTHON} not found` };
  const args = [TORCH_B0, '--size', `${spec.size}`, '--batch', `${spec.batch}`, '--threads', `${spec.threads}`, '--min-seconds', `${spec.minSeconds}`];
  if (spec.kind === 'training') args.push('--train');
  const out = spawnSync(PYTHON, args, { encoding: 'utf8' });
  const line = out.stdout.trim().split('\n').pop() ?? '';
  if (out.status !== 0 || !line.startsWith('{')) return { skipped: `torch_b0.py failed: ${(out.stderr || line).trim().split('\n').pop()}` };
  const r = JSON.parse(line) as { skipped?: string; facesPerSecond: number; tripletsPerSecond?: number; msPerFace: number; cpuSeconds: number; peakRssMB: number; faces: number; torch: string };
  if (r.skipped) return { skipped: r.skipped };
  const detail = `torch ${r.torch} eager, ${spec.threads} threads, batch ${spec.kind === 'training' ? `${spec.batch} triplets (${3 * spec.batch} faces), Adam` : spec.batch}`;
  if (spec.kind === 'training') {
    const items = r.faces / 3;
    return { throughput: r.tripletsPerSecond, msPerItem: 1000 / r.tripletsPerSecond!, cpuMsPerItem: (1000 * r.cpuSeconds) / items, peakRssMB: r.peakRssMB, items, detail };
  }
  return { throughput: r.facesPerSecond, msPerItem: r.msPerFace, cpuMsPerItem: (1000 * r.cpuSeconds) / r.faces, peakRssMB: r.peakRssMB, items: r.faces, detail };
}

/** Child side: measures one row, then prints it with the process's peak RSS (this row's own) on a `ROW ` line. */
export async function measureRowHere<Row extends BenchRow>(spec: Row, measure: (spec: Row) => Promise<RowResult>): Promise<void> {
  const result = await measure(spec).catch((err: unknown): RowResult => {
    const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
    const heap = /memory|allocat|out of bounds|Aborted/i.test(message) ? ' (the wasm heap is 32-bit: 4 GB per instance)' : '';
    return { skipped: `failed after ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB peak RSS: ${message}${heap}` };
  });
  if (result.peakRssMB === undefined && !result.skipped) result.peakRssMB = process.resourceUsage().maxRSS / 1024;
  console.log(`ROW ${JSON.stringify(result)}`);
}

/** Parent side: runs `entry --row <spec> ...extraArgs` in a child process (same node and loader flags). */
export function runRowInChild(entry: string, spec: BenchRow, extraArgs: string[] = []): RowResult {
  const child = spawnSync(process.execPath, [...process.execArgv, entry, '--row', JSON.stringify(spec), ...extraArgs], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  const line = child.stdout
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('ROW '));
  if (child.status !== 0 || !line) return { skipped: `row failed (exit ${child.status}): ${(child.stderr || child.stdout).trim().split('\n').slice(-3).join(' | ')}` };
  return JSON.parse(line.slice(4)) as RowResult;
}

export function progressLine({ spec, result }: Measured): string {
  const unit = spec.kind === 'training' ? 'triplets' : 'faces';
  const r = result.skipped ? `skipped (${result.skipped})` : `${result.throughput!.toFixed(2)} ${unit}/s, peak ${result.peakRssMB?.toFixed(0)} MB`;
  return `  ${spec.kind} ${spec.engine} ${spec.size} px batch ${spec.batch} ${spec.kind === 'training' && spec.engine !== 'pytorch' ? 'workers' : 'threads'} ${spec.threads}: ${r}`;
}

/** This row's throughput over PyTorch's (same kind and size), e.g. "0.45×". */
function versusPyTorch(row: Measured, all: readonly Measured[]): string {
  if (row.spec.engine === 'pytorch' || row.result.throughput === undefined) return '';
  const torch = all.find((r) => r.spec.engine === 'pytorch' && r.spec.kind === row.spec.kind && r.spec.size === row.spec.size)?.result.throughput;
  return torch ? `${(row.result.throughput / torch).toFixed(2)}×` : '';
}

export function formatTable(results: readonly Measured[], kind: BenchRow['kind'], targetOf: (row: Measured) => string): string {
  const unit = kind === 'training' ? 'triplet' : 'face';
  const header = ['engine', 'size', kind === 'training' ? 'triplets/step' : 'batch', kind === 'training' ? 'workers' : 'threads', `${unit}s/s`, `ms/${unit}`, `cpu ms/${unit}`, 'peak RSS MB', 'vs PyTorch', 'target', 'detail'];
  const body = results
    .filter((r) => r.spec.kind === kind)
    .map((row) => {
      const { spec, result } = row;
      return [
        spec.engine,
        `${spec.size}`,
        `${spec.batch}`,
        `${spec.threads}`,
        result.throughput !== undefined ? result.throughput.toFixed(kind === 'training' ? 2 : 1) : '-',
        result.msPerItem !== undefined ? result.msPerItem.toFixed(1) : '-',
        result.cpuMsPerItem !== undefined ? result.cpuMsPerItem.toFixed(1) : '-',
        result.peakRssMB !== undefined ? result.peakRssMB.toFixed(0) : '-',
        versusPyTorch(row, results),
        targetOf(row),
        result.skipped ? `skipped: ${result.skipped}` : (result.detail ?? ''),
      ];
    });
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((r) => r[c]!.length)));
  const line = (cells: string[]) => cells.map((cell, c) => (c === 0 || c >= 9 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** The machine and its load, printed before and after: a busy machine makes every figure a lower bound. */
export function machineLine(title: string): string {
  const cores = os.availableParallelism();
  return `${title}: ${os.cpus()[0]?.model ?? 'cpu'} × ${cores}, node ${process.version}`;
}

export function loadLine(when: 'before' | 'after'): string {
  const cores = os.availableParallelism();
  const load = os.loadavg()[0]!;
  return `load average ${when}: ${load.toFixed(2)} on ${cores} cores${load > cores * 0.5 ? ' (machine busy: figures are lower bounds)' : ''}`;
}
