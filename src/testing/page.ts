/**
 * The parts of a Playwright page the kit uses, by shape: any Playwright flavour's Page
 * (`playwright`, `@playwright/test`) fits, and the kit depends on neither.
 */
export interface KitPage {
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
  workers(): KitWorker[];
  context(): { newCDPSession(page: never): Promise<KitCDPSession> };
  url(): string;
}

export interface KitWorker {
  evaluate<R>(fn: () => R | Promise<R>): Promise<R>;
  url(): string;
}

export interface KitCDPSession {
  send(method: string, params?: Record<string, unknown>): Promise<unknown>;
  detach(): Promise<void>;
}

/** The store's name from a kit function's options; the kit never guesses it. */
export function storeName(options: { name?: unknown } | undefined, fn: string): string {
  const name = options?.name;
  if (typeof name !== "string" || name.length === 0) throw new TypeError(`${fn} needs { name }: the store's name, as given to openStore`);
  return name;
}
