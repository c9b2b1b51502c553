// Named barriers inside one app process: a held request waits at `wait(id)` until `release(id)`;
// `arrived(id)` resolves once the request is waiting, so the test knows its session is loaded.

interface Barrier {
  arrived: Promise<void>;
  signalArrived: () => void;
  released: Promise<void>;
  release: () => void;
}

/** A held request never waits longer than this: a test that forgot to release fails, not hangs. */
const MAX_HOLD_MS = 10_000;

export class Barriers {
  readonly #barriers = new Map<string, Barrier>();

  #get(id: string): Barrier {
    let barrier = this.#barriers.get(id);
    if (barrier === undefined) {
      let signalArrived = () => {};
      let release = () => {};
      const arrived = new Promise<void>((resolve) => {
        signalArrived = resolve;
      });
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      barrier = { arrived, signalArrived, released, release };
      this.#barriers.set(id, barrier);
    }
    return barrier;
  }

  async wait(id: string): Promise<void> {
    const barrier = this.#get(id);
    barrier.signalArrived();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`barrier ${id} never released`)), MAX_HOLD_MS);
    });
    try {
      await Promise.race([barrier.released, timeout]);
    } finally {
      clearTimeout(timer);
      this.#barriers.delete(id);
    }
  }

  arrived(id: string): Promise<void> {
    return this.#get(id).arrived;
  }

  release(id: string): void {
    this.#get(id).release();
  }
}
