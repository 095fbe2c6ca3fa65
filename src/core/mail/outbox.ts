import { Types } from 'mongoose';
import type { MailOutboxModel, MailTemplateName, OutboxMail } from '../../models/mail-outbox';
import type { SealedBox } from './sealed-box';

export interface MailRequest {
  to: string;
  template: MailTemplateName;
  /** Values that grant nothing: stored as they are. */
  values: Record<string, string>;
  /** Values that grant access (a link with a token): stored only sealed. */
  secretValues?: Record<string, string>;
  userId?: Types.ObjectId;
}

/** Where requests put mail: one write, and the request answers without waiting for SMTP. */
export interface MailOutbox {
  enqueue(request: MailRequest): Promise<Types.ObjectId>;
  /**
   * The same work and the same write as enqueue, for a mail that must never go out: a request
   * that must not reveal whether it sent a mail (forgot password for an address without an
   * account) writes a decoy, which the sender ignores and the TTL monitor soon deletes.
   */
  enqueueDecoy(request: MailRequest): Promise<void>;
  /** Called after every enqueue on this instance, so its sender starts at once. */
  onEnqueued(listener: () => void): void;
}

export function createMailOutbox(model: MailOutboxModel, box: SealedBox): MailOutbox {
  const listeners = new Set<() => void>();

  function recordOf(request: MailRequest, now: Date): OutboxMail {
    return {
      to: request.to,
      template: request.template,
      values: request.values,
      sealed: request.secretValues ? box.seal(request.secretValues) : null,
      userId: request.userId ?? null,
      status: 'pending',
      attempts: 0,
      nextAttemptAt: now,
      leaseUntil: new Date(0),
      leaseOwner: null,
      lastError: null,
      createdAt: now,
      finishedAt: null,
      deleteAt: null,
    };
  }

  return {
    async enqueue(request) {
      const _id = new Types.ObjectId();
      await model.create({ _id, ...recordOf(request, new Date()) });
      for (const listener of listeners) listener();
      return _id;
    },

    async enqueueDecoy(request) {
      const now = new Date();
      // deleteAt now: the TTL monitor removes it within a minute, leaving no lasting trace.
      await model.create({ ...recordOf(request, now), status: 'decoy', deleteAt: now });
    },

    onEnqueued(listener) {
      listeners.add(listener);
    },
  };
}
