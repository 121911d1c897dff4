/**
 * `nx run trainer:align --input <dir> --output <dir>`: aligns every face found under a folder into
 * 224×224 PNG crops plus manifest.jsonl. A thin shell over `alignFolder`; rerun to resume.
 */
import { alignFolder, type AlignFolderProgress, type AlignFolderSummary, type FaceApiDetectorModel } from '@feenet/alignment';
import { booleanFlag, flagKinds, numberFlag, requiredStringFlag, stringFlag, UsageError, parseCommandFlags } from '../cli-args';

const HELP = `usage: nx run trainer:align --input <dir> --output <dir> [options]

  --input <dir>          folder of photos (searched recursively)
  --output <dir>         crops/ and manifest.jsonl go here; rerun with the same folder to resume
  --workers <n>          worker threads (default: all cores; 0 = this thread)
  --size <px>            output side (default 224)
  --detector <name>      ssd-mobilenet-v1 (default) or tiny-face-detector
  --min-confidence <p>   detection score threshold (default 0.5)
  --retry-failed         redo files an earlier run recorded as failures`;

const FLAGS = flagKinds(['input', 'output', 'workers', 'size', 'min-confidence', 'detector'], ['retry-failed']);

export async function run(argv: string[]): Promise<void> {
  const flags = parseCommandFlags(argv, HELP, FLAGS);
  if (!flags) return;
  const input = requiredStringFlag(flags, 'input');
  const output = requiredStringFlag(flags, 'output');
  const workers = numberFlag(flags, 'workers');
  const size = numberFlag(flags, 'size');
  const minConfidence = numberFlag(flags, 'min-confidence');
  const detector = stringFlag(flags, 'detector');
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 0)) throw new UsageError('--workers must be a whole number >= 0');
  if (size !== undefined && (!Number.isInteger(size) || size < 32)) throw new UsageError('--size must be a whole number >= 32');
  if (detector !== undefined && detector !== 'ssd-mobilenet-v1' && detector !== 'tiny-face-detector') {
    throw new UsageError(`--detector must be ssd-mobilenet-v1 or tiny-face-detector, got "${detector}"`);
  }

  // First Ctrl-C finishes the files in flight and records them; a second one exits at once.
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
    process.stderr.write('\nstopping after the files in flight (Ctrl-C again to quit now)…\n');
  };
  process.on('SIGINT', onSigint);
  const progress = new ProgressLine();
  let summary: AlignFolderSummary;
  try {
    summary = await alignFolder(
      {
        input,
        output,
        ...(workers !== undefined ? { workers } : {}),
        retryFailed: booleanFlag(flags, 'retry-failed'),
        signal: controller.signal,
        aligner: {
          ...(size !== undefined ? { size } : {}),
          faceApi: { ...(detector ? { model: detector as FaceApiDetectorModel } : {}), ...(minConfidence !== undefined ? { minConfidence } : {}) },
        },
      },
      (p) => progress.update(p),
    );
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('input folder not found')) throw new UsageError(err.message);
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
    progress.end();
  }
  printSummary(summary);
  if (summary.aborted) process.exitCode = 130;
}

/** One status line rewritten in place on a terminal; on a pipe, a line every 5 s. Per-file problems print above it. */
class ProgressLine {
  private readonly tty = process.stderr.isTTY === true;
  private lastPrint = 0;
  private shown = false;

  update(p: AlignFolderProgress): void {
    const last = p.last;
    if (last?.failure || last?.error) {
      this.clear();
      process.stderr.write(`  ✗ ${last.source}: ${last.failure?.message ?? `error: ${last.error}`}\n`);
    }
    const now = Date.now();
    const finished = p.done + p.skipped >= p.total;
    if (!this.tty && now - this.lastPrint < 5000 && !finished) return;
    this.lastPrint = now;
    const eta = p.etaSeconds === undefined ? '?' : formatSeconds(p.etaSeconds);
    const text = `images ${p.done + p.skipped}/${p.total}${p.skipped ? ` (${p.skipped} from earlier runs)` : ''} · faces ${p.faces} · failures ${p.failures} · ${p.imagesPerSecond.toFixed(2)} img/s · ETA ${eta}`;
    if (this.tty) {
      process.stderr.write(`\r\x1b[2K${text}`);
      this.shown = true;
    } else {
      process.stderr.write(`${text}\n`);
    }
  }

  clear(): void {
    if (this.tty && this.shown) process.stderr.write('\r\x1b[2K');
  }

  end(): void {
    if (this.tty && this.shown) process.stderr.write('\n');
  }
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`;
}

function printSummary(s: AlignFolderSummary): void {
  const failures = Object.entries(s.failures).map(([kind, n]) => `${kind} ${n}`);
  const lines = [
    s.total === 0 ? `no files found under the input folder` : undefined,
    s.description ? `aligner: ${s.description}` : undefined,
    `images: ${s.total} found, ${s.skipped} already done, ${s.processed} aligned now${s.aborted ? ' (stopped early: rerun to continue)' : ''}`,
    `faces: ${s.faces} (${s.facesPassingQuality} pass the quality thresholds; found by the detector ${s.facesFoundBy.detector}, by the framed look ${s.facesFoundBy.framed})`,
    `failures: ${failures.length ? failures.join(', ') : 'none'}${s.errors ? `; ${s.errors} unexpected errors (not recorded, retried on rerun)` : ''}`,
    s.droppedManifestLines ? `resumed: dropped ${s.droppedManifestLines} incomplete manifest line(s) from an interrupted run` : undefined,
    `time: ${formatSeconds(s.seconds)}${s.processed ? ` (${(s.processed / s.seconds).toFixed(2)} img/s)` : ''}`,
    `manifest: ${s.manifest}`,
  ];
  console.log(lines.filter((l) => l !== undefined).join('\n'));
}
