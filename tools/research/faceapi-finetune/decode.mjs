// Research probe: decodes every face of the prepared FER2013 split exactly as the project does
// (sharp, fit fill, lanczos3, 112 px, region 0,0,1,1) and stores channel 0 (faces are grey: R=G=B) as uint8
// in /tmp/ferprobe (outside the repo). Order = faces.jsonl order.
import sharp from 'sharp';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
const root = process.env.FER_PREPARED ?? new URL('../../../data/folder-fer2013-c08c9ea8', import.meta.url).pathname;
const rows = readFileSync(`${root}/faces.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const S = 112, P = S * S;
const out = new Uint8Array(rows.length * P);
let next = 0, done = 0, notGrey = 0;
const worker = async () => {
  for (let i = next++; i < rows.length; i = next++) {
    const { data, info } = await sharp(path.join(root, rows[i].file)).rotate().resize(S, S, { fit: 'fill', kernel: 'lanczos3' })
      .removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error('channels');
    for (let p = 0; p < P; p++) {
      const r = data[3 * p];
      if (r !== data[3 * p + 1] || r !== data[3 * p + 2]) notGrey++;
      out[i * P + p] = r;
    }
    if (++done % 5000 === 0) console.log(done);
  }
};
await Promise.all(Array.from({ length: 4 }, worker));
mkdirSync('/tmp/ferprobe', { recursive: true });
writeFileSync('/tmp/ferprobe/faces112.u8', out);
writeFileSync('/tmp/ferprobe/faces112.json', JSON.stringify(rows.map((r) => ({ id: r.id, label: r.label, split: r.split }))));
console.log('done', rows.length, 'non-grey pixels', notGrey);
