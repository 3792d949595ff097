/**
 * A counting semaphore: at most `size` holders at once, the rest wait in arrival order. The delivery
 * process's total concurrency, shared by every endpoint's consumer.
 */
export class Slots {
  readonly #size: number;
  #used = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(size: number) {
    this.#size = size;
  }

  async acquire(): Promise<void> {
    if (this.#used < this.#size) {
      this.#used++;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next) next(); // the slot passes on: `used` is unchanged
    else this.#used--;
  }
}
