import type { Server, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';

/** Whether the server is shutting down, shared by the parts of the app that behave differently. */
export interface Lifecycle {
  readonly draining: boolean;
  /** Marks every answer from now on, and those still being worked on, `Connection: close`. */
  startDraining(): void;
  /** Tracks each response so that startDraining() can reach the ones in flight. */
  trackResponses: RequestHandler;
}

export function createLifecycle(): Lifecycle {
  let draining = false;
  const inFlight = new Set<ServerResponse>();
  const closeAfterAnswer = (res: ServerResponse) => {
    // Clients (and load balancers) then reconnect elsewhere instead of reusing this one.
    if (!res.headersSent) res.setHeader('Connection', 'close');
  };
  return {
    get draining() {
      return draining;
    },
    startDraining() {
      draining = true;
      inFlight.forEach(closeAfterAnswer);
    },
    trackResponses(_req, res, next) {
      if (draining) closeAfterAnswer(res);
      inFlight.add(res);
      res.once('close', () => inFlight.delete(res));
      next();
    },
  };
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
