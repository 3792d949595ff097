import type { Writable } from 'node:stream';

/** Options of an {@link NdjsonWriter}. */
export interface NdjsonWriterOptions {
  /** Lines are gathered into chunks of about this many characters before a write (default 64 KiB): fewer syscalls, bounded memory. */
  chunkChars?: number;
  /**
   * Time (ms since the epoch) after which a reader that still does not take what was written is cut off:
   * the stream is destroyed rather than waited for, so a client that stops reading without closing
   * cannot hold the export (and its page) forever. Default: no limit.
   */
  deadline?: number;
}

/**
 * Writes newline-delimited JSON to a stream with backpressure: when the stream's buffer is full the
 * returned promise waits for `'drain'`, so a slow reader slows the producer instead of growing memory.
 * At most one chunk is held here. Once the stream closed (the client left, or the deadline passed while
 * it was not reading) every call answers `false` and writes nothing, so the caller stops producing.
 */
export class NdjsonWriter {
  readonly #out: Writable;
  readonly #chunkChars: number;
  readonly #deadline: number;
  #pending = '';
  #closed = false;

  constructor(out: Writable, options: NdjsonWriterOptions = {}) {
    this.#out = out;
    this.#chunkChars = options.chunkChars ?? 65_536;
    this.#deadline = options.deadline ?? Infinity;
    const closed = () => {
      this.#closed = true;
      this.#pending = '';
    };
    out.once('close', closed);
    out.once('error', closed);
  }

  /** True once the stream closed or failed: nothing more reaches the reader. */
  get closed(): boolean {
    return this.#closed || this.#out.destroyed;
  }

  /** Queues one value as a line; writes when the chunk is full. `false` when the stream is closed. */
  async line(value: unknown): Promise<boolean> {
    if (this.closed) return false;
    this.#pending += `${JSON.stringify(value)}\n`;
    return this.#pending.length >= this.#chunkChars ? this.flush() : true;
  }

  /** Writes what is queued and waits while the stream's buffer is full. `false` when the stream is closed. */
  async flush(): Promise<boolean> {
    if (this.closed) return false;
    if (this.#pending === '') return true;
    const chunk = this.#pending;
    this.#pending = '';
    if (this.#out.write(chunk)) return true;
    await this.#until('drain');
    return !this.closed;
  }

  /** Flushes and ends the stream, waiting until the reader has it all (a no-op on a closed one). */
  async end(): Promise<void> {
    if (!(await this.flush())) return;
    this.#out.end();
    await this.#until('finish');
  }

  /** Waits for `event`, the stream's end, or the deadline (which destroys the stream). */
  #until(event: 'drain' | 'finish'): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = Number.isFinite(this.#deadline) ? setTimeout(() => this.#out.destroy(), Math.max(0, this.#deadline - Date.now())) : undefined;
      const done = () => {
        clearTimeout(timer);
        for (const name of [event, 'close', 'error']) this.#out.off(name, done);
        resolve();
      };
      for (const name of [event, 'close', 'error']) this.#out.on(name, done);
    });
  }
}
