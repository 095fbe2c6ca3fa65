import type { Types } from 'mongoose';
import type { MailTemplateName } from '../models/mail-outbox';
import type { TokenSpec } from './account-tokens';
import type { CoreDeps } from './deps';
import { cleanUpAfter } from './failure-cleanup';
import type { MailRequest } from './mail/outbox';
import { describeDuration } from './mail/templates';

type MailDeps = Pick<CoreDeps, 'accountTokens' | 'outbox' | 'appUrl' | 'tokenLifetimes'>;

/** A mail that carries a link with a fresh token: where it goes and which page it opens. */
export interface TokenMail {
  to: string;
  template: MailTemplateName;
  values: Record<string, string>;
  /** The frontend page, e.g. /reset-password; the link is APP_URL + path + ?token=… */
  path: string;
}

function requestOf(
  deps: MailDeps,
  spec: Omit<TokenSpec, 'userId'>,
  mail: TokenMail,
  token: string,
) {
  return {
    to: mail.to,
    template: mail.template,
    values: { ...mail.values, validFor: describeDuration(spec.ttlSeconds) },
    secretValues: { link: `${deps.appUrl}${mail.path}?token=${token}` },
  } satisfies MailRequest;
}

/** Issues a token (voiding the user's earlier one of that purpose) and queues its mail. */
export async function mailToken(deps: MailDeps, spec: TokenSpec, mail: TokenMail): Promise<void> {
  const token = await deps.accountTokens.issue(spec);
  try {
    await deps.outbox.enqueue({ ...requestOf(deps, spec, mail, token), userId: spec.userId });
  } catch (error) {
    // A token whose mail was never queued must not be left behind.
    await cleanUpAfter(error, () => deps.accountTokens.revoke(spec.userId, [spec.purpose]));
    throw error;
  }
}

/**
 * What mailToken does, for an address without an account: the same computations and the same
 * writes, of records that can never be used or sent, so the response takes as long either way.
 */
export async function mailDecoy(
  deps: MailDeps,
  spec: Omit<TokenSpec, 'userId'>,
  mail: TokenMail,
): Promise<void> {
  await deps.accountTokens.issueDecoy(spec);
  await deps.outbox.enqueueDecoy(requestOf(deps, spec, mail, 'x'.repeat(43)));
}

interface Recipient {
  _id: Types.ObjectId;
  name: string;
  email: string;
}

export function sendVerificationMail(deps: MailDeps, user: Recipient): Promise<void> {
  return mailToken(
    deps,
    {
      userId: user._id,
      purpose: 'email_verification',
      email: user.email,
      ttlSeconds: deps.tokenLifetimes.emailVerificationSeconds,
    },
    {
      to: user.email,
      template: 'email_verification',
      values: { name: user.name },
      path: '/verify-email',
    },
  );
}

/** After a reset or a change of password: a notice, with no token and no link. */
export async function sendPasswordChangedNotice(
  deps: Pick<CoreDeps, 'outbox'>,
  user: Recipient,
): Promise<void> {
  await deps.outbox.enqueue({
    to: user.email,
    template: 'password_changed',
    values: { name: user.name },
    userId: user._id,
  });
}
