import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Reads until `done` holds (work the service does in the background: deliveries, writes off the
 * request's path), or fails after the timeout with the last value read.
 */
export async function eventually<T>(read: () => T | Promise<T>, done: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`Not reached within ${timeoutMs} ms; last: ${JSON.stringify(value)}`);
    await sleep(20);
  }
}

/** Waits until `check` holds (see `eventually`). */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  await eventually(check, Boolean, timeoutMs);
}
