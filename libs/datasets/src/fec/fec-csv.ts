/**
 * Google's Facial Expression Comparison CSVs (faceexp-comparison-data-{train,test}-public.csv), as published:
 * no header, 28 fields per row —
 *
 *   3 × ( "image URL", left, right, top, bottom )     box corners normalised to [0, 1]: crop = rows top·H..bottom·H,
 *                                                      columns left·W..right·W
 *   triplet type                                       ONE_CLASS_TRIPLET | TWO_CLASS_TRIPLET | THREE_CLASS_TRIPLET
 *   6 × ( annotator id, annotation )                   annotation 1, 2 or 3: the face whose expression differs most
 *
 * The odd one out is the face most raters chose; the other two are the similar pair. Malformed rows are reported
 * with their line numbers and skipped; the rest of the file still parses.
 */
import { createHash } from 'node:crypto';
import type { TripletType } from '../types';
import { splitCsvLine } from './csv-line';

export const FEC_FIELDS = 28;
const FEC_TYPES: Record<string, TripletType> = {
  ONE_CLASS_TRIPLET: 'ONE_CLASS',
  TWO_CLASS_TRIPLET: 'TWO_CLASS',
  THREE_CLASS_TRIPLET: 'THREE_CLASS',
};

/** A face as FEC names it: an image URL and a box in fractions of the image's width and height. */
export interface FecFace {
  url: string;
  left: number;
  right: number;
  top: number;
  bottom: number;
  /** URL + box: one face (the same image holds several faces, and a face appears in many triplets). */
  key: string;
}

export interface FecTriplet {
  /** 1-based line in the CSV. */
  line: number;
  faces: [FecFace, FecFace, FecFace];
  type: TripletType;
  /** Votes for faces 1, 2, 3 as the odd one out. */
  votes: [number, number, number];
  raters: number;
  /** Index (0–2) of the face most raters chose; null when the top votes tie. */
  odd: 0 | 1 | 2 | null;
  /** Share of raters who chose `odd` (for a tie, the tied share). */
  agreement: number;
}

export interface FecIssue {
  line: number;
  message: string;
}

export interface FecParseResult {
  /** Well-formed rows whose agreement reaches the threshold, in file order. */
  kept: FecTriplet[];
  /** Well-formed rows dropped: raters split evenly between faces, or too few agreed. */
  tied: number;
  lowAgreement: number;
  /** Malformed rows, with line numbers. */
  issues: FecIssue[];
  rows: number;
  keptPerType: Record<TripletType, number>;
}

export interface FecParseOptions {
  /** Keep a triplet only if at least this share of its raters chose the same odd one out (default 2/3, as the paper). */
  minAgreement?: number;
}

export function fecFaceKey(url: string, left: number, right: number, top: number, bottom: number): string {
  return `${url}#${left},${right},${top},${bottom}`;
}

/** A short stable id for a face (or any key): 16 hex digits of its SHA-1. */
export function shortHash(key: string): string {
  return createHash('sha1').update(key).digest('hex').slice(0, 16);
}

class RowError extends Error {}

function parseNumber(field: string | undefined, what: string): number {
  if (field === undefined || field === '') throw new RowError(`${what} is empty`);
  const v = Number(field);
  if (!Number.isFinite(v)) throw new RowError(`${what} is not a number: "${field}"`);
  return v;
}

function parseFace(f: string[], i: number): FecFace {
  const base = i * 5;
  const url = f[base]!;
  if (!/^https?:\/\/\S+$/i.test(url)) throw new RowError(`face ${i + 1}: "${url.slice(0, 60)}" is not an http(s) URL`);
  const [left, right, top, bottom] = ['left', 'right', 'top', 'bottom'].map((name, k) => parseNumber(f[base + 1 + k], `face ${i + 1} ${name}`)) as [number, number, number, number];
  for (const [name, v] of [['left', left], ['right', right], ['top', top], ['bottom', bottom]] as const) {
    if (v < 0 || v > 1) throw new RowError(`face ${i + 1} ${name} ${v} is outside [0, 1]`);
  }
  if (!(left < right && top < bottom)) throw new RowError(`face ${i + 1}: empty box (left ${left}, right ${right}, top ${top}, bottom ${bottom})`);
  return { url, left, right, top, bottom, key: fecFaceKey(url, left, right, top, bottom) };
}

/** Parses one data row; throws a RowError naming the first problem. */
function parseRow(line: string, lineNo: number): Omit<FecTriplet, 'odd' | 'agreement'> & { votes: [number, number, number] } {
  let f: string[];
  try {
    f = splitCsvLine(line);
  } catch (err) {
    throw new RowError((err as Error).message);
  }
  if (f.length !== FEC_FIELDS) throw new RowError(`expected ${FEC_FIELDS} fields, got ${f.length}`);
  const faces = [parseFace(f, 0), parseFace(f, 1), parseFace(f, 2)] as [FecFace, FecFace, FecFace];
  const type = FEC_TYPES[f[15]!];
  if (!type) throw new RowError(`unknown triplet type "${f[15]}" (expected ${Object.keys(FEC_TYPES).join(', ')})`);
  const votes: [number, number, number] = [0, 0, 0];
  let raters = 0;
  for (let r = 0; r < 6; r++) {
    const rater = f[16 + 2 * r]!;
    const answer = f[17 + 2 * r]!;
    if (rater === '' && answer === '') continue; // a missing rater
    if (rater === '') throw new RowError(`annotation ${r + 1} has no annotator id`);
    if (!/^[123]$/.test(answer)) throw new RowError(`annotation ${r + 1} is "${answer}", not 1, 2 or 3`);
    votes[Number(answer) - 1]!++;
    raters++;
  }
  if (raters === 0) throw new RowError('no annotations');
  return { line: lineNo, faces, type, votes, raters };
}

/** The odd one out and its share of the votes; null when the two largest counts tie. */
export function oddOneOut(votes: readonly [number, number, number]): { odd: 0 | 1 | 2 | null; agreement: number } {
  const raters = votes[0] + votes[1] + votes[2];
  const max = Math.max(...votes);
  const top = votes.flatMap((v, i) => (v === max ? [i as 0 | 1 | 2] : []));
  return { odd: top.length === 1 ? top[0]! : null, agreement: raters ? max / raters : 0 };
}

/** Parses a whole CSV text. Never throws for bad rows: they come back in `issues`. */
export function parseFecCsv(text: string, options: FecParseOptions = {}): FecParseResult {
  const minAgreement = options.minAgreement ?? 2 / 3;
  const result: FecParseResult = { kept: [], tied: 0, lowAgreement: 0, issues: [], rows: 0, keptPerType: { ONE_CLASS: 0, TWO_CLASS: 0, THREE_CLASS: 0 } };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '') continue;
    result.rows++;
    let row: ReturnType<typeof parseRow>;
    try {
      row = parseRow(line, i + 1);
    } catch (err) {
      if (!(err instanceof RowError)) throw err;
      result.issues.push({ line: i + 1, message: err.message });
      continue;
    }
    const { odd, agreement } = oddOneOut(row.votes);
    if (odd === null) {
      result.tied++;
      continue;
    }
    if (agreement < minAgreement - 1e-9) {
      result.lowAgreement++;
      continue;
    }
    result.kept.push({ ...row, odd, agreement });
    result.keptPerType[row.type]++;
  }
  return result;
}
