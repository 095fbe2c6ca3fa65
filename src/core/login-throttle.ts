import { loginGateCollection, type LoginGateModel } from '../models/login-gate';
import type { RateLimitState } from './errors';
import { createFailureGate, type FailureGate, type Outcome } from './failure-gate';
import { withLimiterStore, type LimitSetting } from './rate-limiter';

// How long a check waits for the checks ahead of it (same email and client) to finish before
// it gives up with a 429. Longer than a hash queued behind the longest allowed queue.
const ADMISSION_WAIT_MS = 5000;
const POLL_MS = 40;

export interface LoginLimits {
  /** Consecutive failures of one email from one client (or one known device) before a block. */
  failuresPerPair: LimitSetting;
  /** Failures of one email from every client without a device token together. */
  failuresPerEmail: LimitSetting;
}

/** Who is trying which email: a known device, or else a client address. */
export interface AttemptSubject {
  email: string;
  clientKey: string;
  /** The id inside a valid device token issued to this email, when one was presented. */
  deviceId?: string;
}

/** A gate that let a check in, and the place it holds there. */
interface HeldGate {
  gate: FailureGate;
  key: string;
  checkId: string;
}

/** A password check let in; it must report its outcome exactly once. */
export interface PasswordAttempt {
  gates: readonly HeldGate[];
}

type GateKey = { gate: FailureGate; key: string };

export type AttemptVerdict =
  { allowed: true; attempt: PasswordAttempt } | { allowed: false; state: RateLimitState };

export interface LoginThrottle {
  /** Refuses while the subject is blocked or its email has failed too often. */
  beginAttempt(subject: AttemptSubject): Promise<AttemptVerdict>;
  /** Returns true when this outcome started a lockout. */
  finishAttempt(attempt: PasswordAttempt, outcome: Outcome): Promise<boolean>;
  /**
   * Clears every lockout and failure count of an email, from every client and device: after a
   * password reset proved the mailbox, the owner may log in at once.
   */
  clearEmail(email: string): Promise<void>;
}

/** Checks ahead never finished in time: the client may try again in a second. */
function stillBusy(setting: LimitSetting): RateLimitState {
  return {
    limit: setting.max,
    remaining: 0,
    resetSeconds: 1,
    windowSeconds: setting.windowSeconds,
  };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Password-guessing protection kept in MongoDB, so that every instance behind a load balancer
 * sees the same counts. Keys use the normalized email whether or not an account exists: a
 * lockout therefore says nothing about which addresses are registered.
 *
 * A device that has logged in to this email before (OWASP's device cookies) is judged only by
 * its own failures: an attacker elsewhere can exhaust the email's daily cap for unknown
 * devices, but cannot lock the owner out of a device they have used.
 */
export function createLoginThrottle(gateModel: LoginGateModel, limits: LoginLimits): LoginThrottle {
  const pairs = createFailureGate(gateModel, 'pair', limits.failuresPerPair, { blocks: true });
  const devices = createFailureGate(gateModel, 'device', limits.failuresPerPair, {
    blocks: true,
  });
  const emails = createFailureGate(gateModel, 'email', limits.failuresPerEmail, {
    blocks: false,
  });
  const collection = loginGateCollection(gateModel);

  function gatesOf(subject: AttemptSubject): GateKey[] {
    if (subject.deviceId) return [{ gate: devices, key: `${subject.email}|${subject.deviceId}` }];
    return [
      { gate: pairs, key: `${subject.email}|${subject.clientKey}` },
      { gate: emails, key: subject.email },
    ];
  }

  /** Gives back the places of a check that needed no counting, in one command for all gates. */
  async function leaveAll(held: readonly HeldGate[], outcome: Exclude<Outcome, 'failure'>) {
    if (held.length === 0) return;
    const writes = held.map(({ gate, key, checkId }) => gate.leave(key, checkId, outcome));
    await withLimiterStore(() => collection.bulkWrite(writes, { ordered: false }));
  }

  /** Asks every gate at once; if any says no, the ones that said yes are released. */
  async function admitAll(gates: GateKey[]): Promise<AttemptVerdict | 'busy'> {
    const admissions = await Promise.all(gates.map(({ gate, key }) => gate.admit(key)));
    const held = gates.flatMap((gate, index) => {
      const admission = admissions[index];
      return admission?.kind === 'admitted' ? [{ ...gate, checkId: admission.checkId }] : [];
    });
    if (held.length === gates.length) return { allowed: true, attempt: { gates: held } };
    await leaveAll(held, 'aborted');
    const refused = admissions.find((admission) => admission.kind === 'refused');
    return refused?.kind === 'refused' ? { allowed: false, state: refused.state } : 'busy';
  }

  return {
    async beginAttempt(subject) {
      const gates = gatesOf(subject);
      const deadline = Date.now() + ADMISSION_WAIT_MS;
      for (;;) {
        const verdict = await admitAll(gates);
        if (verdict !== 'busy') return verdict;
        if (Date.now() > deadline)
          return { allowed: false, state: stillBusy(limits.failuresPerPair) };
        // Jittered, so waiting checks on several instances do not ask in lockstep.
        await pause(POLL_MS + Math.random() * POLL_MS);
      }
    },

    async finishAttempt(attempt, outcome) {
      if (outcome !== 'failure') {
        await leaveAll(attempt.gates, outcome);
        return false;
      }
      const blocked = await Promise.all(
        attempt.gates.map(({ gate, key, checkId }) => gate.fail(key, checkId)),
      );
      return blocked.some(Boolean);
    },

    async clearEmail(email) {
      await Promise.all([
        pairs.forget({ startingWith: `${email}|` }),
        devices.forget({ startingWith: `${email}|` }),
        emails.forget({ exact: email }),
      ]);
    },
  };
}
