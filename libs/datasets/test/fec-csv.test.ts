import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { splitCsvLine } from '../src/fec/csv-line';
import { oddOneOut, parseFecCsv } from '../src/fec/fec-csv';
import { cropRegion } from '../src/fec/fec-prepare';

// 15 lines in the published layout (no header, 28 fields): see the comments in the table below.
const FIXTURE = fileURLToPath(new URL('./fixtures/fec/faceexp-comparison-data-sample.csv', import.meta.url));
const text = readFileSync(FIXTURE, 'utf8');

describe('FEC CSV', () => {
  const parsed = parseFecCsv(text);

  it('keeps rows whose odd one out reaches 2/3 of the raters, with the agreement and the similar pair', () => {
    expect(parsed.rows).toBe(14); // the blank line is not a row
    expect(parsed.kept.map((t) => t.line)).toEqual([1, 2, 3, 6, 15]);
    const [r1, r2, r3, r6, r15] = parsed.kept;
    expect(r1).toMatchObject({ type: 'ONE_CLASS', votes: [0, 1, 5], raters: 6, odd: 2 });
    expect(r1!.agreement).toBeCloseTo(5 / 6, 12);
    expect(r2).toMatchObject({ type: 'TWO_CLASS', odd: 0, agreement: 1 });
    // Exactly 4 of 6 (the threshold itself) is kept.
    expect(r3).toMatchObject({ type: 'THREE_CLASS', votes: [1, 4, 1], odd: 1 });
    expect(r3!.agreement).toBeCloseTo(2 / 3, 12);
    // Two empty (annotator, annotation) pairs: 4 raters, 3 of them agree.
    expect(r6).toMatchObject({ raters: 4, votes: [3, 1, 0], odd: 0, agreement: 0.75 });
    expect(r15).toMatchObject({ odd: 1 });
    expect(parsed.keptPerType).toEqual({ ONE_CLASS: 1, TWO_CLASS: 3, THREE_CLASS: 1 });
  });

  it('parses the URL and the box in left, right, top, bottom order; one face shared by rows has one key', () => {
    const face = parsed.kept[0]!.faces[0];
    expect(face).toMatchObject({ url: 'http://farm4.staticflickr.com/3679/12137167385_bb3d7e4568_b.jpg', left: 0.459, right: 0.635, top: 0.177, bottom: 0.412 });
    expect(parsed.kept[1]!.faces[0].key).toBe(face.key);
    expect(parsed.kept[0]!.faces[1].key).not.toBe(face.key);
    // crop = rows top·H..bottom·H, columns left·W..right·W (plus the margin, clipped)
    expect(cropRegion(face, 1000, 500, 0)).toEqual({ left: 459, top: 88, width: 176, height: 118 });
    expect(cropRegion({ left: 0, right: 0.5, top: 0.5, bottom: 1 }, 100, 100, 0.2)).toEqual({ left: 0, top: 40, width: 60, height: 60 });
  });

  it('drops 6- and 4-rater disagreements: ties, and majorities under the threshold', () => {
    expect(parsed.tied).toBe(2); // line 4: 2-2-2 of 6; line 7: 2-2 of 4
    expect(parsed.lowAgreement).toBe(2); // line 5: 3 of 6; line 8: 2 of 4
    const lenient = parseFecCsv(text, { minAgreement: 0.5 });
    expect(lenient.kept.map((t) => t.line)).toEqual([1, 2, 3, 5, 6, 8, 15]);
    expect(lenient.tied).toBe(2); // a tie never names an odd one out
    expect(oddOneOut([2, 2, 2])).toEqual({ odd: null, agreement: 1 / 3 });
    expect(oddOneOut([0, 0, 4])).toEqual({ odd: 2, agreement: 1 });
  });

  it('reports malformed rows with their line numbers and goes on', () => {
    expect(parsed.issues).toEqual([
      { line: 9, message: 'expected 28 fields, got 20' },
      { line: 10, message: 'face 2 right is not a number: "0.5x4"' },
      { line: 11, message: expect.stringContaining('unknown triplet type "FOUR_CLASS_TRIPLET"') },
      { line: 12, message: 'annotation 3 is "4", not 1, 2 or 3' },
      { line: 13, message: 'face 3 bottom 1.3 is outside [0, 1]' },
    ]);
    // The row after them still parsed (line 15), and nothing else was lost.
    expect(parsed.kept.length + parsed.tied + parsed.lowAgreement + parsed.issues.length).toBe(parsed.rows);
  });

  it('handles CRLF endings, quoting and other malformations', () => {
    const line1 = text.split('\n')[0]!;
    const crlf = parseFecCsv(`${line1}\r\n${line1}\r\n`);
    expect(crlf.kept).toHaveLength(2);
    expect(crlf.issues).toEqual([]);
    expect(splitCsvLine('"a ""b"", c",2,,"x"')).toEqual(['a "b", c', '2', '', 'x']);
    const broken = parseFecCsv(
      [
        line1.replace('"http://farm4', '"ftp://farm4'), // not http(s)
        line1.replace(',0.459,0.635,', ',0.635,0.459,'), // left > right
        line1.replace(/,3,(\d+),2$/, ',3,,2'), // an annotation without its annotator
        line1.replace(/,ONE_CLASS_TRIPLET,.*$/, ',ONE_CLASS_TRIPLET,,,,,,,,,,,,'), // no annotations at all
        line1.replace('"http://farm4.staticflickr.com/3679', '"http://farm4.staticflickr.com/3679"x'), // junk after a quote
      ].join('\n'),
    );
    expect(broken.kept).toEqual([]);
    expect(broken.issues.map((i) => i.line)).toEqual([1, 2, 3, 4, 5]);
    expect(broken.issues.map((i) => i.message)).toEqual([
      expect.stringContaining('is not an http(s) URL'),
      'face 1: empty box (left 0.635, right 0.459, top 0.177, bottom 0.412)',
      'annotation 6 has no annotator id',
      'no annotations',
      expect.stringContaining('text after a closing quote'),
    ]);
  });
});
