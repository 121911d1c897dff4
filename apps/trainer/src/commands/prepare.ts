/**
 * `nx run trainer:prepare --source fec|folder ...`: builds a dataset in the shared format (aligned faces, face
 * table, triplet table) from Google's FEC CSVs or from a folder of expression-labelled faces, and prints what
 * was kept and what was lost. Rerun with the same flags after an interruption to finish without redoing work.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { createAligner } from '@feenet/alignment';
import { DEFAULT_FEC_OPTIONS, DEFAULT_FOLDER_OPTIONS, prepareFecDataset, prepareFolderDataset, tripletsPerType, validateFolderOptions, type FaceAligner, type FecPrepareSummary, type FolderPrepareSummary, type FolderSourceOptions } from '@feenet/datasets';
import { booleanFlag, detectorFlag, flagKinds, numberFlag, requiredStringFlag, stringFlag, UsageError, type FlagValue, parseCommandFlags } from '../cli-args';
import { bar, duration, ProgressLine } from '../progress';

const HELP = `usage:
  nx run trainer:prepare --source fec --csv <train csv> [--test-csv <test csv>] --out data/fec [options]
  nx run trainer:prepare --source folder --root <dir> --out <dir> [--aligned] [--labels-csv <csv>] [options]

FEC (faceexp-comparison-data-{train,test}-public.csv from FEC_dataset.zip):
  --test-csv <file>        the published test CSV (default: the train CSV's sibling named *test*, if present)
  --min-agreement <share>  keep triplets whose odd one out has at least this share of the votes (default 0.667)
  --margin <share>         added to each side of FEC's face box before alignment (default 0.5)
  --size <px>              aligned face side (default 224)
  --validation-share <s>   share of the train CSV's triplets held out for validation (default 0.05)
  --cache <dir>            download cache, keyed by URL (default <out>/downloads)
  --concurrency <n>        downloads in flight (default 8)    --per-host-rate <n>  requests/s per host (default 5)
  --timeout-ms <ms>        per attempt (default 20000)        --retries <n>        after a transient failure (default 3)
  --retry-dead             also retry URLs an earlier run found dead
  --detector <name>        ssd-mobilenet-v1 (default) or tiny-face-detector

Labelled folders (<root>/<label>/<image> or <root>/<split>/<label>/<image>):
  --labels-csv <file>      CSV with header: path, label[, identity][, split] (paths relative to --root)
  --aligned                faces are already cropped: use them as given (no detection)
  --image-size <px>        side of the written faces (default: the source side with --aligned, else 224)
  --pad <share>            with --aligned: edge-replicated border per side, as a share of the side (default 0)
  --max-faces-per-label <n>, --limit <n>   seeded caps per source split (default: all faces)
  --train-triplets <n>, --validation-triplets <n>, --test-triplets <n>   (default 30000 / 2000 / 5000)
  --validation-share <s>   share of the source's train faces (or persons) held out (default 0.1)
  --same-person-pairs      allow a similar pair from one person (default: different people when identities are known)
  --seed <n>               subsampling, splits and triplets (default 7)
  --detector <name>        as above, when the folder is not --aligned`;

const FEC_FLAGS = ['source', 'csv', 'test-csv', 'out', 'min-agreement', 'margin', 'size', 'validation-share', 'cache', 'concurrency', 'per-host-rate', 'timeout-ms', 'retries', 'retry-dead', 'detector', 'seed', 'help'];
const FOLDER_FLAGS = ['source', 'root', 'out', 'labels-csv', 'aligned', 'image-size', 'pad', 'max-faces-per-label', 'limit', 'train-triplets', 'validation-triplets', 'test-triplets', 'validation-share', 'same-person-pairs', 'seed', 'detector', 'help'];
const SWITCHES = ['retry-dead', 'aligned', 'same-person-pairs'];
/** Both sources' flags; each source then refuses the other's. */
const FLAGS = flagKinds(
  [...new Set([...FEC_FLAGS, ...FOLDER_FLAGS])].filter((f) => f !== 'help' && !SWITCHES.includes(f)),
  SWITCHES,
);

function checkFlags(flags: Map<string, FlagValue>, known: string[], source: string): void {
  for (const name of flags.keys()) if (!known.includes(name)) throw new UsageError(`--${name} does not apply to --source ${source}\n\n${HELP}`);
}

function positive(flags: Map<string, FlagValue>, name: string, integer = true): number | undefined {
  const v = numberFlag(flags, name);
  if (v !== undefined && (!(v > 0) || (integer && !Number.isInteger(v)))) throw new UsageError(`--${name} must be a positive ${integer ? 'whole ' : ''}number`);
  return v;
}

function share(flags: Map<string, FlagValue>, name: string, allowZero: boolean): number | undefined {
  const v = numberFlag(flags, name);
  if (v !== undefined && !((allowZero ? v >= 0 : v > 0) && v < 1 + (allowZero ? 0 : 1e-9))) throw new UsageError(`--${name} must be a share in ${allowZero ? '[0, 1)' : '(0, 1]'}`);
  return v;
}

async function makeAligner(size: number, detector: string): Promise<FaceAligner> {
  if (detector !== 'ssd-mobilenet-v1' && detector !== 'tiny-face-detector') throw new UsageError(`--detector must be ssd-mobilenet-v1 or tiny-face-detector, got "${detector}"`);
  return createAligner({ size, faceApi: { model: detector } });
}

/** Ctrl-C once: stop after the work in flight (rerun to finish); twice: quit at once. */
function interruptible(progress: ProgressLine): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    progress.log('stopping after the work in flight (Ctrl-C again to quit now); rerun the same command to finish');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  return {
    signal: controller.signal,
    release: () => {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigint);
    },
  };
}

export async function run(argv: string[]): Promise<void> {
  const flags = parseCommandFlags(argv, HELP, FLAGS);
  if (!flags) return;
  const source = requiredStringFlag(flags, 'source');
  if (source === 'fec') return prepareFec(flags);
  if (source === 'folder') return prepareFolder(flags);
  throw new UsageError(`--source must be fec or folder, got "${source}"`);
}

async function prepareFec(flags: Map<string, FlagValue>): Promise<void> {
  checkFlags(flags, FEC_FLAGS, 'fec');
  const trainCsv = requiredStringFlag(flags, 'csv');
  const out = requiredStringFlag(flags, 'out');
  if (!existsSync(trainCsv)) throw new UsageError(`--csv ${trainCsv} not found`);
  let testCsv = stringFlag(flags, 'test-csv') ?? null;
  if (testCsv && !existsSync(testCsv)) throw new UsageError(`--test-csv ${testCsv} not found`);
  if (!testCsv) {
    const sibling = path.join(path.dirname(trainCsv), path.basename(trainCsv).replace('train', 'test'));
    if (sibling !== trainCsv && existsSync(sibling)) testCsv = sibling;
  }
  const minAgreement = share(flags, 'min-agreement', false) ?? DEFAULT_FEC_OPTIONS.minAgreement;
  const margin = numberFlag(flags, 'margin') ?? DEFAULT_FEC_OPTIONS.margin;
  if (!(margin >= 0 && margin <= 2)) throw new UsageError('--margin must be in [0, 2]');
  const size = positive(flags, 'size') ?? DEFAULT_FEC_OPTIONS.size;
  const perHost = positive(flags, 'per-host-rate', false);
  const concurrency = positive(flags, 'concurrency');
  const timeoutMs = positive(flags, 'timeout-ms');
  const retries = numberFlag(flags, 'retries');
  if (retries !== undefined && !(Number.isInteger(retries) && retries >= 0)) throw new UsageError('--retries must be a whole number >= 0');

  const progress = new ProgressLine();
  progress.log(`FEC: ${trainCsv}${testCsv ? ` + ${testCsv}` : ' (no test CSV: no test split)'} → ${out}`);
  const aligner = await makeAligner(size, stringFlag(flags, 'detector') ?? 'ssd-mobilenet-v1');
  progress.log(`aligner: ${aligner.description}`);
  const { signal, release } = interruptible(progress);
  let summary: FecPrepareSummary;
  try {
    summary = await prepareFecDataset(
      out,
      {
        ...DEFAULT_FEC_OPTIONS,
        trainCsv,
        testCsv,
        cacheDir: stringFlag(flags, 'cache') ?? null,
        minAgreement,
        margin,
        size,
        validationShare: share(flags, 'validation-share', true) ?? DEFAULT_FEC_OPTIONS.validationShare,
        seed: numberFlag(flags, 'seed') ?? DEFAULT_FEC_OPTIONS.seed,
        download: {
          ...(concurrency ? { concurrency } : {}),
          ...(perHost ? { perHostPerSecond: perHost } : {}),
          ...(timeoutMs ? { timeoutMs } : {}),
          ...(retries !== undefined ? { retries } : {}),
          retryDead: booleanFlag(flags, 'retry-dead'),
        },
      },
      {
        aligner,
        signal,
        onProgress: (p) =>
          progress.update(
            p.stage === 'download'
              ? `download ${bar(p.done / Math.max(1, p.total))} ${p.done}/${p.total} images · ok ${p.ok} (${p.fromCache} cached) · dead ${p.dead} · failed ${p.failed}`
              : `align ${bar(p.done / Math.max(1, p.total))} ${p.done}/${p.total} faces · aligned ${p.aligned} · no usable crop ${p.failed}${p.reused ? ` · ${p.reused} from an earlier run` : ''}`,
            p.done === p.total,
          ),
      },
    );
  } finally {
    release();
    progress.done();
    aligner.dispose?.();
  }
  await printFecSummary(summary, out);
  if (summary.aborted) process.exitCode = 130;
}

async function printFecSummary(s: FecPrepareSummary, out: string): Promise<void> {
  const lines: string[] = [];
  for (const c of s.csv) {
    lines.push(
      `${path.basename(c.file)}: ${c.rows} rows; kept ${c.keptPerType.ONE_CLASS + c.keptPerType.TWO_CLASS + c.keptPerType.THREE_CLASS} (one-class ${c.keptPerType.ONE_CLASS}, two-class ${c.keptPerType.TWO_CLASS}, three-class ${c.keptPerType.THREE_CLASS}); below the agreement threshold ${c.lowAgreement}, tied votes ${c.tied}, malformed ${c.malformed.length}`,
    );
    for (const m of c.malformed.slice(0, 10)) lines.push(`  malformed: ${path.basename(c.file)}:${m.line}: ${m.message}`);
    if (c.malformed.length > 10) lines.push(`  ... ${c.malformed.length - 10} more malformed rows (all listed in ${path.join(out, 'malformed-rows.txt')})`);
  }
  const malformed = s.csv.flatMap((c) => c.malformed.map((m) => `${c.file}:${m.line}: ${m.message}`));
  if (malformed.length) await writeFile(path.join(out, 'malformed-rows.txt'), `${malformed.join('\n')}\n`).catch(() => undefined);
  const d = s.download;
  const reasons = (filter: (r: string) => boolean) =>
    Object.entries(d.reasons)
      .filter(([r]) => filter(r))
      .map(([r, n]) => `${r} ${n}`)
      .join(', ');
  lines.push(`images: ${s.images} distinct URLs; ok ${d.ok} (${d.fromCache} done by an earlier run, ${d.downloaded} downloaded now, ${(d.bytes / 1e6).toFixed(1)} MB, ${d.requests} requests)`);
  lines.push(`dead links: ${d.dead}${d.dead ? ` (${reasons(() => true)})` : ''}${d.failed ? `; failed this run: ${d.failed} (retried on the next run)` : ''}`);
  const alignFailed = Object.values(s.alignmentFailures).reduce((a, b) => a + b, 0);
  lines.push(
    `faces: ${s.faces} named; ${s.facesAligned} aligned${s.facesReused ? ` (${s.facesReused} from an earlier run)` : ''}; ${s.facesLostToDownloads} lost to dead/failed links; failed alignment ${alignFailed}${alignFailed ? ` (${Object.entries(s.alignmentFailures).map(([k, n]) => `${k} ${n}`).join(', ')})` : ''}`,
  );
  if (s.info) {
    const per = tripletsPerType(s);
    lines.push(`triplets kept: one-class ${per.ONE_CLASS}, two-class ${per.TWO_CLASS}, three-class ${per.THREE_CLASS} (train ${s.info.triplets.train}, validation ${s.info.triplets.validation}, test ${s.info.triplets.test}); dropped for a lost face: ${s.tripletsLostFaces}`);
    if (s.facesInTrainAndTest) lines.push(`note: ${s.facesInTrainAndTest} faces appear in both the train and the test CSV`);
    lines.push(`written to ${out} in ${duration(s.seconds)}; train with: nx run trainer:train --dataset ${out === 'data/fec' ? 'fec' : out}`);
  } else {
    lines.push(`interrupted after ${duration(s.seconds)}: rerun the same command to finish (nothing is downloaded twice)`);
  }
  console.log(lines.join('\n'));
}

async function prepareFolder(flags: Map<string, FlagValue>): Promise<void> {
  checkFlags(flags, FOLDER_FLAGS, 'folder');
  const root = requiredStringFlag(flags, 'root');
  const out = requiredStringFlag(flags, 'out');
  const cap = (name: string) => positive(flags, name) ?? null;
  const d = DEFAULT_FOLDER_OPTIONS;
  const triplets = { ...d.triplets };
  for (const s of ['train', 'validation', 'test'] as const) {
    const v = numberFlag(flags, `${s}-triplets`);
    if (v !== undefined) triplets[s] = v;
  }
  const options: FolderSourceOptions = {
    ...d,
    root,
    labelsCsv: stringFlag(flags, 'labels-csv') ?? null,
    aligned: booleanFlag(flags, 'aligned'),
    imageSize: positive(flags, 'image-size') ?? null,
    pad: numberFlag(flags, 'pad') ?? d.pad,
    maxFacesPerLabel: cap('max-faces-per-label'),
    limit: cap('limit'),
    triplets,
    validationShare: share(flags, 'validation-share', true) ?? d.validationShare,
    crossIdentityPairs: !booleanFlag(flags, 'same-person-pairs'),
    seed: numberFlag(flags, 'seed') ?? d.seed,
    detector: detectorFlag(flags) ?? d.detector,
  };
  const problem = validateFolderOptions(options);
  if (problem) throw new UsageError(problem);
  if (!existsSync(root)) throw new UsageError(`--root ${root} not found`);
  const progress = new ProgressLine();
  const aligner = options.aligned ? undefined : await makeAligner(options.imageSize ?? 224, options.detector);
  if (aligner) progress.log(`aligner: ${aligner.description}`);
  const { signal, release } = interruptible(progress);
  let s: FolderPrepareSummary;
  try {
    s = await prepareFolderDataset(out, options, {
      ...(aligner ? { aligner } : {}),
      signal,
      onProgress: (p) => progress.update(`${p.stage} ${bar(p.done / Math.max(1, p.total))} ${p.done}/${p.total}`, p.done === p.total),
    });
  } catch (err) {
    if (signal.aborted) {
      progress.done();
      console.log('interrupted: rerun the same command to finish (faces already written are kept)');
      process.exitCode = 130;
      return;
    }
    throw err;
  } finally {
    release();
    progress.done();
    aligner?.dispose?.();
  }
  const f = s.info.faces;
  const t = s.info.triplets;
  const failed = Object.entries(s.failures).map(([k, n]) => `${k} ${n}`);
  const labels = (split: 'train' | 'validation' | 'test') =>
    Object.entries(s.facesPerLabel[split])
      .map(([l, n]) => `${l} ${n}`)
      .join(', ');
  console.log(
    [
      `${s.found} images found under ${root}${s.capped ? `; ${s.capped} left out by the caps` : ''}${s.reused ? `; ${s.reused} faces reused from an earlier run` : ''}`,
      `faces: train ${f.train}, validation ${f.validation}, test ${f.test}${failed.length ? `; dropped (${options.aligned ? 'unreadable' : 'no usable face'}): ${failed.join(', ')}` : ''}`,
      `  train: ${labels('train')}`,
      `  validation: ${labels('validation')}`,
      `  test: ${labels('test')}`,
      s.personsAcrossSplits ? `persons in several source splits: ${s.personsAcrossSplits} (kept in their first split only)` : undefined,
      `triplets (two-class, label-derived, agreement 1): train ${t.train}, validation ${t.validation}, test ${t.test}`,
      `written to ${out} (${s.info.imageSize} px) in ${duration(s.seconds)}`,
    ]
      .filter((l) => l !== undefined)
      .join('\n'),
  );
}
