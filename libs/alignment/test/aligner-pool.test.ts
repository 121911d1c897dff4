import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { createAligner, createAlignerPool, type AlignImageResult } from '../src/index';

const require = createRequire(import.meta.url);
const demo = (i: number) => require.resolve(`@vladmandic/face-api/demo/sample${i}.jpg`);

describe('createAlignerPool', () => {
  it('aligns calls in flight together on 2 workers, each exactly as one aligner would; a bad file is a failure, not a crash', async () => {
    const single = await createAligner();
    const pool = await createAlignerPool(2);
    try {
      const inputs = [demo(1), demo(3), demo(4), Buffer.from('not an image')];
      const pooled = await Promise.all(inputs.map((f) => pool.alignImage(f)));
      const alone: AlignImageResult[] = [];
      for (const f of inputs) alone.push(await single.alignImage(f));
      expect(pool.description).toMatch(/× 2 workers$/);
      pooled.forEach((p, i) => {
        const a = alone[i]!;
        expect(p.ok).toBe(a.ok);
        if (!p.ok || !a.ok) return expect(p.ok ? '' : p.error.kind).toBe(a.ok ? '' : a.error.kind);
        expect(p.faces.map((f) => [f.foundBy, f.landmarks])).toEqual(a.faces.map((f) => [f.foundBy, f.landmarks]));
        expect(Buffer.from(p.faces[0]!.image.data).equals(Buffer.from(a.faces[0]!.image.data))).toBe(true);
      });
      const last = pooled.at(-1)!;
      expect(last.ok ? 'ok' : last.error.kind).toBe('not-an-image');
    } finally {
      pool.dispose();
      single.dispose();
    }
  }, 120_000);
});
