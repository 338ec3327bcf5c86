// Parts of the page that the first screen does not show (the detail view, the Models view, the dialogs) come in
// their own script files: the page compiles less before its first paint, and fetches them while it is idle after
// it, so they are there by the time a person opens one.

export class LazyComponent<C> {
  /** The component once its file has loaded. */
  current = $state.raw<C | null>(null);
  readonly #load: () => Promise<{ default: C }>;
  #loading: Promise<C> | null = null;

  constructor(load: () => Promise<{ default: C }>) {
    this.#load = load;
  }

  /** Loads the file: once, or again after a failure (which every caller waiting for it sees). */
  load(): Promise<C> {
    this.#loading ??= this.#load().then(
      (module) => (this.current = module.default),
      (error: unknown) => {
        this.#loading = null;
        throw error;
      },
    );
    return this.#loading;
  }
}

/** Runs `work` once the page is idle (at the latest after `timeout` ms). */
export function whenIdle(work: () => void, timeout = 2000): void {
  if (typeof requestIdleCallback === 'function') requestIdleCallback(work, { timeout });
  else setTimeout(work, 200);
}
