/**
 * One updating status line on a terminal; on a pipe (CI, nx without a TTY) a plain line at most every few
 * seconds, so logs stay readable.
 */
export class ProgressLine {
  private lastPlain = 0;
  private readonly tty = Boolean(process.stderr.isTTY);

  constructor(private readonly plainEveryMs = 5000) {}

  update(text: string, force = false): void {
    if (this.tty) {
      process.stderr.write(`\r\x1b[2K${text}`);
      return;
    }
    const now = Date.now();
    if (force || now - this.lastPlain >= this.plainEveryMs) {
      process.stderr.write(`${text}\n`);
      this.lastPlain = now;
    }
  }

  /** Prints a permanent line without garbling the status line. */
  log(text: string): void {
    if (this.tty) process.stderr.write('\r\x1b[2K');
    console.log(text);
  }

  done(): void {
    if (this.tty) process.stderr.write('\r\x1b[2K');
  }
}

export function bar(fraction: number, width = 24): string {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h ? `${h}h${String(m).padStart(2, '0')}m` : `${m}:${String(r).padStart(2, '0')}`;
}

export const percent = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '  n/a' : `${(100 * x).toFixed(1)}%`);
