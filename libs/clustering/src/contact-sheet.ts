import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import sharp, { type OverlayOptions } from 'sharp';

export interface ContactSheetEntry {
  /** PNG or JPEG of any size; it is scaled to fit the cell. */
  readonly image: string;
  /** Shown under the image, e.g. a face id and distance. */
  readonly caption?: string;
}

export interface ContactSheetOptions {
  /** Default: enough for a roughly square sheet, at most 10. */
  readonly columns?: number;
  /** Side of the square image cell in pixels. Default 160. */
  readonly cellSize?: number;
  /** Default 8. */
  readonly gap?: number;
  /** Title line at the top of the sheet. */
  readonly title?: string;
}

const CAPTION_HEIGHT = 20;
const TITLE_HEIGHT = 28;
const BACKGROUND = { r: 255, g: 255, b: 255, alpha: 1 };

/** Writes a PNG grid of face images with optional captions to `outPath`. */
export async function writeContactSheet(
  entries: readonly ContactSheetEntry[],
  outPath: string,
  options: ContactSheetOptions = {},
): Promise<void> {
  if (entries.length === 0) throw new RangeError('a contact sheet needs at least one image');
  const cell = options.cellSize ?? 160;
  const gap = options.gap ?? 8;
  const columns = Math.max(1, Math.min(options.columns ?? Math.min(10, Math.ceil(Math.sqrt(entries.length))), entries.length));
  const rows = Math.ceil(entries.length / columns);
  const hasCaptions = entries.some((e) => e.caption);
  const captionHeight = hasCaptions ? CAPTION_HEIGHT : 0;
  const top = options.title ? TITLE_HEIGHT : 0;
  const width = gap + columns * (cell + gap);
  const height = top + gap + rows * (cell + captionHeight + gap);

  const layers: OverlayOptions[] = [];
  if (options.title) {
    layers.push({ input: textSvg(options.title, width, TITLE_HEIGHT, 16, 'bold'), left: 0, top: 0 });
  }
  await Promise.all(
    entries.map(async (entry, i) => {
      const left = gap + (i % columns) * (cell + gap);
      const y = top + gap + Math.floor(i / columns) * (cell + captionHeight + gap);
      let tile: Buffer;
      try {
        tile = await sharp(entry.image)
          .resize(cell, cell, { fit: 'contain', background: BACKGROUND })
          .flatten({ background: BACKGROUND })
          .png()
          .toBuffer();
      } catch (err) {
        throw new Error(`contact sheet: cannot read image ${entry.image}: ${(err as Error).message}`);
      }
      layers.push({ input: tile, left, top: y });
      if (entry.caption) {
        layers.push({ input: textSvg(entry.caption, cell, captionHeight, 12, 'normal'), left, top: y + cell });
      }
    }),
  );
  await mkdir(dirname(outPath), { recursive: true });
  await sharp({ create: { width, height, channels: 4, background: BACKGROUND } })
    .composite(layers)
    .png()
    .toFile(outPath);
}

function textSvg(text: string, width: number, height: number, fontSize: number, weight: 'normal' | 'bold'): Buffer {
  const escaped = text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
      `<text x="${width / 2}" y="${Math.round(height * 0.72)}" font-family="DejaVu Sans, sans-serif" font-size="${fontSize}" ` +
      `font-weight="${weight}" text-anchor="middle" fill="#222">${escaped}</text></svg>`,
  );
}
