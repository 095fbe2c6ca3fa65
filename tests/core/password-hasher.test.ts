import { existsSync, readdirSync, readFileSync } from 'node:fs';
import bcrypt from 'bcryptjs';
import { KeycardError } from '../../src/core/errors';
import { createPasswordHasher, HASHER_NICENESS } from '../../src/core/password-hasher';

// Only Linux gives each thread a nice value of its own (and /proc to read it from).
const threadsHaveNiceness = existsSync('/proc/thread-self');

function niceOf(threadId: string): number {
  const fields = readFileSync(`/proc/self/task/${threadId}/stat`, 'utf8').split(') ')[1] ?? '';
  return Number(fields.split(' ')[16]);
}

function threadsAt(niceness: number): string[] {
  if (!threadsHaveNiceness) return [];
  return readdirSync('/proc/self/task').filter((threadId) => niceOf(threadId) === niceness);
}

describe('createPasswordHasher', () => {
  const hasher = createPasswordHasher({ cost: 4, workers: 2 });
  afterAll(() => hasher.close());

  it('hashes with the configured cost, compatibly with bcryptjs', async () => {
    const hash = await hasher.hash('correct horse');
    expect(hash).toMatch(/^\$2b\$04\$/);
    expect(bcrypt.compareSync('correct horse', hash)).toBe(true);
    expect(hasher.costOf(hash)).toBe(4);
  });

  it('compares right and wrong passwords', async () => {
    const hash = bcrypt.hashSync('battery staple', 4);
    await expect(hasher.compare('battery staple', hash)).resolves.toBe(true);
    await expect(hasher.compare('battery stapler', hash)).resolves.toBe(false);
  });

  it('answers many jobs in flight, each with its own result', async () => {
    const passwords = Array.from({ length: 12 }, (_, index) => `password-${index}`);
    const hashes = await Promise.all(passwords.map((password) => hasher.hash(password)));
    const checks = await Promise.all(
      hashes.map((hash, index) => hasher.compare(passwords[(index + 1) % 12] as string, hash)),
    );
    expect(checks.every((matches) => !matches)).toBe(true);
    const own = await Promise.all(
      hashes.map((hash, index) => hasher.compare(passwords[index] as string, hash)),
    );
    expect(own.every(Boolean)).toBe(true);
  });

  it('treats a malformed stored hash as a mismatch, not a crash', async () => {
    await expect(hasher.compare('anything', 'not-a-bcrypt-hash')).resolves.toBe(false);
    expect(hasher.costOf('not-a-bcrypt-hash')).toBe(0);
  });

  it('hashes in threads below the priority of the event loop', async () => {
    const before = new Set(threadsAt(HASHER_NICENESS));
    const own = createPasswordHasher({ cost: 4, workers: 3 });
    try {
      await Promise.all(['one', 'two', 'three'].map((password) => own.hash(password)));
      const lowered = threadsAt(HASHER_NICENESS).filter((threadId) => !before.has(threadId));
      expect(lowered).toHaveLength(threadsHaveNiceness ? 3 : 0);
      expect(threadsAt(0)).toEqual(
        threadsHaveNiceness ? expect.arrayContaining([String(process.pid)]) : [],
      );
    } finally {
      await own.close();
    }
  });

  it('keeps the event loop free while hashing at a real cost', async () => {
    const slow = createPasswordHasher({ cost: 10, workers: 1 });
    try {
      let ticks = 0;
      const timer = setInterval(() => {
        ticks += 1;
      }, 5);
      await slow.hash('slow one');
      clearInterval(timer);
      expect(ticks).toBeGreaterThan(3);
    } finally {
      await slow.close();
    }
  });

  it('rejects work after close', async () => {
    const closing = createPasswordHasher({ cost: 4, workers: 1 });
    await closing.close();
    await expect(closing.hash('late')).rejects.toThrow('password hasher is closed');
  });
});

describe('the password queue under a flood', () => {
  // Cost 10: tens of milliseconds a job, so a queue builds up in a way the test can see.
  const hasher = createPasswordHasher({ cost: 10, workers: 1, maxWaitMs: 400 });
  const hash = bcrypt.hashSync('victim password', 10);
  afterAll(() => hasher.close());

  it('refuses at once what would wait past the limit, and serves another client in turn', async () => {
    await hasher.compare('warm up', hash, 'warm-up');
    const finished: string[] = [];
    const flood = Array.from({ length: 40 }, (_, index) =>
      hasher.compare(`guess ${index}`, hash, 'attacker').then(
        () => finished.push('attacker'),
        (error: unknown) => error,
      ),
    );
    const victim = hasher
      .compare('victim password', hash, 'victim')
      .then((matches) => finished.push(matches ? 'victim' : 'victim-wrong'));
    const outcomes = await Promise.all(flood);
    await victim;

    const refusals = outcomes.filter((outcome) => outcome instanceof KeycardError);
    expect(refusals.length).toBeGreaterThan(20);
    expect(refusals[0]).toMatchObject({ code: 'service_unavailable' });
    expect((refusals[0] as KeycardError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    // Round robin: the victim waits for one attacker job at most, not for the whole queue.
    expect(finished.indexOf('victim')).toBeLessThanOrEqual(2);
    expect(finished.filter((who) => who === 'attacker').length).toBeGreaterThan(2);
  });
});
