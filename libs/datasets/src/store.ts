/** Reading and writing the one dataset format (see types.ts), with line-numbered errors for bad rows. */
import { createWriteStream, existsSync, readFileSync, type WriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { SPLITS, TRIPLET_TYPES, type DatasetInfo, type FaceRecord, type Split, type Triplet } from './types';

export interface Dataset {
  root: string;
  info: DatasetInfo;
  faces: FaceRecord[];
  triplets: Triplet[];
}

export class DatasetError extends Error {
  override name = 'DatasetError';
}

function readJsonLines<T>(file: string, validate: (row: unknown, where: string) => T): T[] {
  if (!existsSync(file)) throw new DatasetError(`missing ${file}`);
  const rows: T[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      const where = `${file}:${i + 1}`;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        throw new DatasetError(`${where}: not valid JSON`);
      }
      rows.push(validate(parsed, where));
    });
  return rows;
}

const isSplit = (s: unknown): s is Split => typeof s === 'string' && (SPLITS as readonly string[]).includes(s);

function validateFace(row: unknown, where: string): FaceRecord {
  const r = row as Partial<FaceRecord>;
  if (typeof r.id !== 'string' || typeof r.file !== 'string' || !isSplit(r.split)) {
    throw new DatasetError(`${where}: a face needs string id and file, and split one of ${SPLITS.join('/')}`);
  }
  return r as FaceRecord;
}

function validateTriplet(row: unknown, where: string): Triplet {
  const r = row as Partial<Triplet>;
  const ids = [r.anchor, r.positive, r.negative];
  if (!ids.every((x) => typeof x === 'string') || new Set(ids).size !== 3) {
    throw new DatasetError(`${where}: a triplet needs three distinct face ids`);
  }
  if (!TRIPLET_TYPES.includes(r.type as never)) throw new DatasetError(`${where}: type must be one of ${TRIPLET_TYPES.join('/')}`);
  if (typeof r.agreement !== 'number' || !(r.agreement > 0 && r.agreement <= 1)) throw new DatasetError(`${where}: agreement must be in (0, 1]`);
  if (!isSplit(r.split)) throw new DatasetError(`${where}: bad split`);
  return r as Triplet;
}

export function datasetExists(root: string): boolean {
  return ['dataset.json', 'faces.jsonl', 'triplets.jsonl'].every((f) => existsSync(path.join(root, f)));
}

/** Loads and cross-checks a dataset: every triplet's faces exist and belong to the triplet's split. */
export function readDataset(root: string): Dataset {
  const infoFile = path.join(root, 'dataset.json');
  if (!existsSync(infoFile)) throw new DatasetError(`no dataset at ${root} (missing dataset.json)`);
  const info = JSON.parse(readFileSync(infoFile, 'utf8')) as DatasetInfo;
  if (info.formatVersion !== 1) throw new DatasetError(`${infoFile}: unsupported formatVersion ${String(info.formatVersion)}`);
  const faces = readJsonLines(path.join(root, 'faces.jsonl'), validateFace);
  const triplets = readJsonLines(path.join(root, 'triplets.jsonl'), validateTriplet);
  const byId = new Map(faces.map((f) => [f.id, f]));
  if (byId.size !== faces.length) throw new DatasetError(`${root}/faces.jsonl: duplicate face ids`);
  triplets.forEach((t, i) => {
    for (const id of [t.anchor, t.positive, t.negative]) {
      const face = byId.get(id);
      if (!face) throw new DatasetError(`${root}/triplets.jsonl:${i + 1}: unknown face ${id}`);
      if (face.split !== t.split) throw new DatasetError(`${root}/triplets.jsonl:${i + 1}: face ${id} is in ${face.split}, triplet in ${t.split}`);
    }
  });
  return { root, info, faces, triplets };
}

/** Streams faces and triplets to disk; `finish` writes dataset.json last, so a dataset without it is unfinished. */
export class DatasetWriter {
  private readonly faceStream: WriteStream;
  private readonly tripletStream: WriteStream;
  private readonly faceCounts: Record<Split, number> = { train: 0, validation: 0, test: 0 };
  private readonly tripletCounts: Record<Split, number> = { train: 0, validation: 0, test: 0 };

  private constructor(readonly root: string) {
    this.faceStream = createWriteStream(path.join(root, 'faces.jsonl'));
    this.tripletStream = createWriteStream(path.join(root, 'triplets.jsonl'));
  }

  static async create(root: string): Promise<DatasetWriter> {
    await mkdir(path.join(root, 'faces'), { recursive: true });
    return new DatasetWriter(root);
  }

  addFace(face: FaceRecord): void {
    this.faceCounts[face.split]++;
    this.faceStream.write(`${JSON.stringify(face)}\n`);
  }

  addTriplet(triplet: Triplet): void {
    this.tripletCounts[triplet.split]++;
    this.tripletStream.write(`${JSON.stringify(triplet)}\n`);
  }

  async finish(info: Omit<DatasetInfo, 'formatVersion' | 'faces' | 'triplets' | 'createdAt'>): Promise<DatasetInfo> {
    await Promise.all([
      new Promise<void>((resolve, reject) => this.faceStream.end((err?: Error | null) => (err ? reject(err) : resolve()))),
      new Promise<void>((resolve, reject) => this.tripletStream.end((err?: Error | null) => (err ? reject(err) : resolve()))),
    ]);
    const full: DatasetInfo = {
      formatVersion: 1,
      ...info,
      createdAt: new Date().toISOString(),
      faces: this.faceCounts,
      triplets: this.tripletCounts,
    };
    await writeFile(path.join(this.root, 'dataset.json'), `${JSON.stringify(full, null, 2)}\n`);
    return full;
  }
}
