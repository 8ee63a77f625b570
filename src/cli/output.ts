/**
 * Output plumbing shared by all commands: buffered writes to stdout or a file, exit codes, and a progress
 * line on stderr. Exit codes are part of the contract: 0 ok, 1 verification failed, 2 bad usage or
 * unreadable input.
 */
import { closeSync, openSync, writeSync } from 'node:fs';

export const EXIT_OK = 0;
export const EXIT_VERIFY_FAILED = 1;
export const EXIT_USAGE = 2;

/** A usage or input problem the user must fix: printed as one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Writes text in large pieces. Per-line writes to a pipe cost a system call each; this keeps jsonl output of
 * millions of packets cheap. A closed pipe (`dualcap ... | head`) ends output quietly.
 */
export class TextSink {
  private parts: string[] = [];
  private size = 0;
  private fd: number;
  private readonly ownsFd: boolean;
  closedPipe = false;

  constructor(path?: string) {
    if (path && path !== '-') {
      this.fd = openSync(path, 'w');
      this.ownsFd = true;
    } else {
      this.fd = 1;
      this.ownsFd = false;
    }
  }

  write(s: string): void {
    if (this.closedPipe) return;
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= 1 << 16) this.flush();
  }

  line(s: string): void {
    this.write(`${s}\n`);
  }

  flush(): void {
    if (this.parts.length === 0 || this.closedPipe) return;
    const text = this.parts.join('');
    this.parts = [];
    this.size = 0;
    writeAllSync(this.fd, text, () => {
      this.closedPipe = true;
    });
  }

  close(): void {
    this.flush();
    if (this.ownsFd) closeSync(this.fd);
  }
}

function writeAllSync(fd: number, text: string, onClosed: () => void): void {
  const buf = Buffer.from(text, 'utf8');
  let off = 0;
  let spins = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off, buf.length - off);
      spins = 0;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' && spins++ < 10000) continue; // non-blocking stdout: retry, bounded
      if (code === 'EPIPE') {
        onClosed();
        return;
      }
      throw e;
    }
  }
}

/** One progress line on stderr, only on a terminal and only when the work lasts more than a second. */
export class Progress {
  private readonly enabled: boolean;
  private readonly started = Date.now();
  private last = 0;
  private shown = false;

  constructor(private readonly label: string) {
    this.enabled = Boolean(process.stderr.isTTY) && !process.env.CI;
  }

  /** Call per chunk of work (not per packet): cheap when disabled or throttled. */
  update(done: number, total: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.started < 1000 || now - this.last < 100) return;
    this.last = now;
    this.shown = true;
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const width = 30;
    const fill = Math.round(frac * width);
    process.stderr.write(
      `\r${this.label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${(frac * 100).toFixed(0).padStart(3)}%`,
    );
  }

  done(): void {
    if (this.shown) process.stderr.write('\r\x1b[K');
  }
}

export function warn(message: string): void {
  process.stderr.write(`dualcap: warning: ${message}\n`);
}
