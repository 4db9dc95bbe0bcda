/**
 * Calibration progress on stderr (stdout stays clean for the summary). On a terminal the
 * bar is redrawn in place with \r; in CI logs and pipes, where \r turns into garbage, a
 * plain line is printed each time another 10% is done.
 */
export interface TextSink {
  write(text: string): unknown;
}

export interface ProgressOptions {
  /** Redraw in place (a TTY) or print a line per 10%. */
  tty: boolean;
  label?: string;
  /** Bar width in characters on a TTY. */
  width?: number;
}

export class ProgressBar {
  private done = 0;
  private lastDecile = 0;
  private finished = false;
  private readonly label: string;
  private readonly width: number;

  constructor(private readonly total: number, private readonly sink: TextSink, private readonly options: ProgressOptions) {
    this.label = options.label ?? 'progress';
    this.width = options.width ?? 30;
    if (options.tty) this.draw();
  }

  /** Marks `n` more steps done. */
  tick(n = 1): void {
    this.update(this.done + n);
  }

  update(done: number): void {
    this.done = Math.min(Math.max(done, 0), this.total);
    if (this.options.tty) {
      this.draw();
      return;
    }
    // One line per decile crossed, however many a single step crosses.
    const decile = this.total === 0 ? 10 : Math.floor((this.done * 10) / this.total);
    if (decile > this.lastDecile) {
      this.lastDecile = decile;
      this.sink.write(`${this.label}: ${decile * 10}% (${this.done}/${this.total})\n`);
    }
  }

  /** Ends the bar's line on a TTY so later output starts on a fresh line. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.options.tty) this.sink.write('\n');
  }

  private draw(): void {
    const fraction = this.total === 0 ? 1 : this.done / this.total;
    const filled = Math.round(fraction * this.width);
    const bar = '#'.repeat(filled) + '-'.repeat(this.width - filled);
    const pct = String(Math.floor(fraction * 100)).padStart(3);
    this.sink.write(`\r${this.label} [${bar}] ${pct}% ${this.done}/${this.total}`);
  }
}
