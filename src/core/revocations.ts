import type { Types } from 'mongoose';
import { AUTH_EVENT_LOG_ID, type AuthEvent, type AuthEventLogModel } from '../models/auth-events';
import type { AuthCache } from './auth-cache';

// Events kept in the log document: a poller further behind than this forgets everything.
const RECENT_EVENTS = 200;

/**
 * Every change that ends sessions or changes what authenticate reads goes through here: this
 * instance forgets it at once, and an event tells every other instance.
 */
export interface Revocations {
  userChanged(userId: Types.ObjectId): Promise<void>;
  sessionEnded(sessionId: Types.ObjectId): Promise<void>;
  everythingChanged(): Promise<void>;
}

export function createRevocations(events: AuthEventLogModel, cache?: AuthCache): Revocations {
  async function publish(event: AuthEvent): Promise<void> {
    await events.updateOne(
      { _id: AUTH_EVENT_LOG_ID },
      { $inc: { seq: 1 }, $push: { recent: { $each: [event], $slice: -RECENT_EVENTS } } },
      { upsert: true },
    );
  }
  return {
    async userChanged(userId) {
      cache?.forgetUser(userId.toHexString());
      await publish({ kind: 'user', id: userId.toHexString() });
    },
    async sessionEnded(sessionId) {
      cache?.forgetSession(sessionId.toHexString());
      await publish({ kind: 'session', id: sessionId.toHexString() });
    },
    async everythingChanged() {
      cache?.forgetAll();
      await publish({ kind: 'all' });
    },
  };
}

/**
 * Reads the event log a few times per staleness bound and applies what it names to this
 * instance's cache. Returns a stop function.
 */
export function pollRevocations(
  events: AuthEventLogModel,
  cache: AuthCache,
  options: { intervalMs: number; onError?: (error: unknown) => void },
): () => Promise<void> {
  let lastSeq: number | undefined;
  let failing = false;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();

  async function pollOnce(): Promise<void> {
    const startedAt = Date.now();
    const head = await events
      .findById(AUTH_EVENT_LOG_ID, { seq: 1 })
      .lean<{ seq: number } | null>();
    const seq = head?.seq ?? 0;
    if (lastSeq === undefined || failing) {
      // First read, or after an outage: whatever happened meanwhile is unknown.
      cache.forgetAll();
    } else if (seq !== lastSeq) {
      const log = await events
        .findById(AUTH_EVENT_LOG_ID)
        .lean<{ seq: number; recent: AuthEvent[] }>();
      apply(cache, log?.recent ?? [], (log?.seq ?? seq) - lastSeq);
    }
    lastSeq = seq;
    failing = false;
    cache.markCurrent(startedAt);
  }

  const timer = setInterval(() => {
    running = running.then(() =>
      stopped
        ? undefined
        : pollOnce().catch((error: unknown) => {
            failing = true;
            options.onError?.(error);
          }),
    );
  }, options.intervalMs);
  timer.unref();
  // The first poll at once, so the cache serves from the start.
  running = pollOnce().catch((error: unknown) => {
    failing = true;
    options.onError?.(error);
  });

  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}

function apply(cache: AuthCache, recent: AuthEvent[], newCount: number): void {
  if (newCount > recent.length || newCount < 0) {
    cache.forgetAll();
    return;
  }
  for (const event of recent.slice(recent.length - newCount)) {
    if (event.kind === 'all') cache.forgetAll();
    else if (event.kind === 'user') cache.forgetUser(event.id);
    else cache.forgetSession(event.id);
  }
}
