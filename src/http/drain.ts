import type { Server } from 'node:http';

/** Whether the server is shutting down, shared by the parts of the app that behave differently. */
export interface Lifecycle {
  draining: boolean;
}

/**
 * Stops accepting connections and waits for the requests in flight to finish, at most
 * `timeoutMs`; then cuts whatever is left. Resolves true when everything finished in time.
 */
export async function drainServer(server: Server, timeoutMs: number): Promise<boolean> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // Keep-alive connections with no request in flight would otherwise hold close() open; the
  // busy ones are closed by Node once their response ends, since draining responses carry
  // `Connection: close`.
  server.closeIdleConnections();
  const idleSweep = setInterval(() => server.closeIdleConnections(), 100);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    const finished = await Promise.race([closed.then(() => true as const), timedOut]);
    if (!finished) server.closeAllConnections();
    return finished;
  } finally {
    clearInterval(idleSweep);
    clearTimeout(timer);
  }
}
