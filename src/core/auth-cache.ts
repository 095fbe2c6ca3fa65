import type { Session } from '../models/session';
import type { UserRecord } from '../models/user';

/** What authenticate needs of a session. */
export type SessionState = Pick<
  Session,
  'userId' | 'revokedAt' | 'expiresAt' | 'credentialsVersion'
>;

// A bound on memory and, should an event ever be lost, on how long an entry can live.
const MAX_ENTRIES = 50_000;
const ENTRY_TTL_MS = 60_000;

interface Entry<T> {
  value: T;
  storedAt: number;
}

/**
 * What authenticate reads on every request (the user and the session), kept per instance.
 * Entries are dropped at once by the instance that changes them, and on every other instance
 * when the event poller reads the change; while the poller is not known to be current (it is
 * behind by more than the staleness bound, or failing), nothing is served from the cache.
 */
export interface AuthCache {
  readonly enabled: boolean;
  user(id: string, load: () => Promise<UserRecord | null>): Promise<UserRecord | null>;
  session(id: string, load: () => Promise<SessionState | null>): Promise<SessionState | null>;
  /** What user() would answer without a database read, when it would need none. */
  cachedUser(id: string): UserRecord | undefined;
  cachedSession(id: string): SessionState | undefined;
  forgetUser(id: string): void;
  forgetSession(id: string): void;
  forgetAll(): void;
  /** The poller read every event written up to `at` (a local clock reading). */
  markCurrent(at: number): void;
}

// Long only as the sum of its small methods, which share the maps and the generations.
export function createAuthCache(options: { enabled: boolean; maxStalenessMs: number }) {
  const users = new Map<string, Entry<UserRecord>>();
  const sessions = new Map<string, Entry<SessionState>>();
  const sessionsOfUser = new Map<string, Set<string>>();
  // Each forget stamps its key with a new generation, so that a database read that began
  // before the forget cannot put its (now stale) answer into the cache after it.
  let generation = 0;
  const forgottenAt = new Map<string, number>();
  let clearedAt = 0;
  let currentAt = Number.NEGATIVE_INFINITY;

  const isCurrent = () => Date.now() - currentAt <= options.maxStalenessMs;

  function stamp(key: string): void {
    generation += 1;
    forgottenAt.set(key, generation);
    // Stamps only matter for reads in flight; past the cap, one clear covers them all.
    if (forgottenAt.size > MAX_ENTRIES) {
      forgottenAt.clear();
      clearedAt = generation;
    }
  }

  function remember<T>(map: Map<string, Entry<T>>, key: string, value: T): void {
    if (map.size >= MAX_ENTRIES) map.delete(map.keys().next().value as string);
    map.set(key, { value, storedAt: Date.now() });
  }

  function fresh<T>(map: Map<string, Entry<T>>, key: string): T | undefined {
    if (!options.enabled) return undefined;
    const cached = map.get(key);
    return cached && isCurrent() && Date.now() - cached.storedAt < ENTRY_TTL_MS
      ? cached.value
      : undefined;
  }

  async function through<T>(
    map: Map<string, Entry<T>>,
    key: string,
    load: () => Promise<T | null>,
    onStore?: (value: T) => void,
  ): Promise<T | null> {
    if (!options.enabled) return load();
    const cached = fresh(map, key);
    if (cached !== undefined) return cached;
    const startedAt = generation;
    const value = await load();
    const forgottenSince = Math.max(forgottenAt.get(key) ?? 0, clearedAt) > startedAt;
    if (value !== null && isCurrent() && !forgottenSince) {
      remember(map, key, value);
      onStore?.(value);
    }
    return value;
  }

  const cache: AuthCache = {
    enabled: options.enabled,
    user: (id, load) => through(users, `user:${id}`, load),
    session: (id, load) =>
      through(sessions, `session:${id}`, load, (state) => {
        const userId = state.userId.toHexString();
        const owned = sessionsOfUser.get(userId) ?? new Set<string>();
        owned.add(id);
        sessionsOfUser.set(userId, owned);
      }),
    cachedUser: (id) => fresh(users, `user:${id}`),
    cachedSession: (id) => fresh(sessions, `session:${id}`),
    forgetUser(id) {
      stamp(`user:${id}`);
      users.delete(`user:${id}`);
      for (const sessionId of sessionsOfUser.get(id) ?? []) cache.forgetSession(sessionId);
      sessionsOfUser.delete(id);
    },
    forgetSession(id) {
      stamp(`session:${id}`);
      sessions.delete(`session:${id}`);
    },
    forgetAll() {
      // Every read in flight began before this: none of them may be stored.
      generation += 1;
      clearedAt = generation;
      users.clear();
      sessions.clear();
      sessionsOfUser.clear();
      forgottenAt.clear();
    },
    markCurrent(at) {
      currentAt = Math.max(currentAt, at);
    },
  };
  return cache;
}
