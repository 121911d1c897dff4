/**
 * One CSV record split into fields (RFC 4180 quoting: "a ""b"" c" → a "b" c). FEC's and the label CSVs' fields
 * never contain line breaks, so records are lines.
 */
export function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) throw new Error('unterminated quoted field');
        field += line.slice(i, q);
        i = q + 1;
        if (line[i] === '"') {
          field += '"';
          i++;
          continue;
        }
        break;
      }
      if (i < n && line[i] !== ',') throw new Error(`text after a closing quote at column ${i + 1}`);
    } else {
      const c = line.indexOf(',', i);
      field = line.slice(i, c < 0 ? n : c);
      i = c < 0 ? n : c;
    }
    fields.push(field.trim());
    if (i >= n) return fields;
    i++; // the comma
  }
}
