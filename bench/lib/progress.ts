/**
 * One status line on the terminal (rewritten in place on a TTY, one line per update otherwise,
 * throttled) showing the current step and the live delivery rate.
 */
export class Progress {
  private label = '';
  private readonly tty = process.stderr.isTTY === true;
  private lastPlain = 0;

  step(label: string): void {
    this.label = label;
    this.write(label);
  }

  /** Shows deliveries/s from a running counter every 500 ms until stopped. */
  track(count: () => number): { stop(): void } {
    let last = count();
    let at = performance.now();
    const timer = setInterval(() => {
      const now = performance.now();
      const value = count();
      const rate = ((value - last) / (now - at)) * 1000;
      last = value;
      at = now;
      this.write(`${this.label}  ${Math.round(rate).toLocaleString('en-US')} msg/s`);
    }, 500);
    return { stop: () => clearInterval(timer) };
  }

  done(line: string): void {
    if (this.tty) process.stderr.write('\r\x1b[2K');
    process.stderr.write(`${line}\n`);
  }

  private write(text: string): void {
    if (this.tty) {
      process.stderr.write(`\r\x1b[2K${text.slice(0, (process.stderr.columns ?? 120) - 1)}`);
      return;
    }
    const now = performance.now();
    if (now - this.lastPlain < 5000) return;
    this.lastPlain = now;
    process.stderr.write(`${text}\n`);
  }
}
