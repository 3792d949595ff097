import type { Logger } from './logger.js';

/** Something started that must be stopped on shutdown. */
export interface Closeable {
  close(): Promise<void>;
}

/**
 * Calls `close` once on SIGINT or SIGTERM, then exits. A second signal, or a close that takes longer
 * than `timeoutMs`, exits at once with status 1 (consumers left un-acked are redelivered: nothing lost).
 */
export function closeOnSignals(logger: Logger, close: () => Promise<void>, timeoutMs = 20_000): void {
  let closing = false;
  const handler = (signal: NodeJS.Signals) => {
    if (closing) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    closing = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ timeoutMs }, 'shutdown timed out');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
}

/** Closes each handle in reverse order of opening, continuing past failures; rethrows the first. */
export async function closeAll(handles: ReadonlyArray<Closeable | undefined>): Promise<void> {
  let first: unknown;
  for (const handle of [...handles].reverse()) {
    try {
      await handle?.close();
    } catch (error) {
      first ??= error;
    }
  }
  if (first) throw first;
}
