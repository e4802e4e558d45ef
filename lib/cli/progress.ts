/**
 * A terminal progress bar for replays (wall-clock display only; nothing on the decision path reads
 * it). On a TTY it redraws one line; otherwise it prints a line at every 25 %.
 */
export class ProgressBar {
  private lastPercent = -1;
  private lastDraw = 0;
  private readonly startedAt = Date.now();

  constructor(
    private readonly total: number,
    private readonly label: string,
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly width = 30,
  ) {}

  update(done: number): void {
    const percent = this.total === 0 ? 100 : Math.floor((100 * Math.min(done, this.total)) / this.total);
    if (this.out.isTTY) {
      const now = Date.now();
      if (percent === this.lastPercent || (now - this.lastDraw < 50 && percent < 100)) return;
      this.lastDraw = now;
      this.lastPercent = percent;
      const filled = Math.round((this.width * percent) / 100);
      const rate = done / Math.max((now - this.startedAt) / 1000, 1e-3);
      this.out.write(
        `\r${this.label} [${"#".repeat(filled)}${".".repeat(this.width - filled)}] ${String(percent).padStart(3)}% ` +
          `${done}/${this.total} (${Math.round(rate).toLocaleString("en-US")}/s)`,
      );
    } else if (Math.floor(percent / 25) > Math.floor(this.lastPercent / 25)) {
      this.lastPercent = percent;
      this.out.write(`${this.label}: ${percent}% (${done}/${this.total})\n`);
    }
  }

  finish(): void {
    this.update(this.total);
    if (this.out.isTTY) this.out.write("\n");
  }
}
