// What a running job obeys: cancel (an AbortSignal) and pause/resume (a gate it waits at between batches).

export class JobControl {
  private readonly controller = new AbortController();
  private gate: { promise: Promise<void>; open: () => void } | null = null;

  constructor() {
    this.controller.signal.addEventListener('abort', () => this.openGate(), { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get paused(): boolean {
    return this.gate !== null;
  }

  cancel(): void {
    this.controller.abort();
  }

  /** False when it was already paused or is cancelled. */
  pause(): boolean {
    if (this.gate || this.signal.aborted) return false;
    let open!: () => void;
    const promise = new Promise<void>((resolve) => (open = resolve));
    this.gate = { promise, open };
    return true;
  }

  /** False when it was not paused. */
  resume(): boolean {
    if (!this.gate) return false;
    this.openGate();
    return true;
  }

  /** Resolves at once while running; while paused, when resumed or cancelled. */
  whenRunning(): Promise<void> {
    return this.gate?.promise ?? Promise.resolve();
  }

  private openGate(): void {
    this.gate?.open();
    this.gate = null;
  }
}
