/** Why an image yielded no aligned face. Every kind is counted separately in batch summaries. */
export type AlignFailureKind =
  | 'unreadable' // the file could not be read (missing, permissions, a directory)
  | 'not-an-image' // no supported image signature
  | 'unsupported-format' // an image format the aligner refuses (e.g. SVG, PDF)
  | 'corrupt' // an image header, but the pixels do not decode (truncated, damaged)
  | 'too-large' // over the decompression-bomb pixel limit
  | 'no-face'; // decoded fine, no face found

export interface AlignFailure {
  kind: AlignFailureKind;
  /** One line, readable on its own, e.g. "corrupt: VipsJpeg: premature end of JPEG file". */
  message: string;
}

export function failure(kind: AlignFailureKind, detail: string): AlignFailure {
  return { kind, message: `${kind}: ${detail.split('\n')[0]?.trim() ?? ''}` };
}
