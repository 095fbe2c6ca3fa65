import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** How long a device stays known after its last successful login. */
export const DEVICE_TOKEN_TTL_SECONDS = 365 * 86_400;

interface DevicePayload {
  /** The normalized email the device logged in to. */
  e: string;
  /** The device's id: its failures are counted under it. */
  d: string;
  /** Issued at, in seconds. */
  t: number;
}

export interface DeviceTokens {
  issue(email: string): string;
  /** The device id, when the token is genuine, current and was issued for this email. */
  deviceIdFor(token: string | undefined, email: string): string | undefined;
}

/**
 * OWASP's device cookies: proof that this client has logged in to this email before. Signed,
 * not stored, with a key derived from the signing secret (and from the previous secrets, so
 * known devices stay known across a key rotation).
 */
export function createDeviceTokens(secret: string, previousSecrets: readonly string[] = []) {
  const keyOf = (source: string) =>
    createHmac('sha256', source).update('keycard device token').digest();
  const keys = [secret, ...previousSecrets].map(keyOf);
  const sign = (key: Buffer, body: string) => createHmac('sha256', key).update(body).digest();

  return {
    issue(email: string): string {
      const payload: DevicePayload = {
        e: email,
        d: randomBytes(16).toString('base64url'),
        t: Math.floor(Date.now() / 1000),
      };
      const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
      return `${body}.${sign(keys[0] as Buffer, body).toString('base64url')}`;
    },

    deviceIdFor(token: string | undefined, email: string): string | undefined {
      const [body, signature, extra] = (token ?? '').split('.');
      if (!body || !signature || extra !== undefined || body.length > 1024) return undefined;
      const presented = Buffer.from(signature, 'base64url');
      const genuine = keys.some((key) => {
        const expected = sign(key, body);
        return expected.length === presented.length && timingSafeEqual(expected, presented);
      });
      if (!genuine) return undefined;
      const payload = parsePayload(body);
      const fresh =
        payload !== undefined && Date.now() / 1000 - payload.t < DEVICE_TOKEN_TTL_SECONDS;
      return fresh && payload.e === email ? payload.d : undefined;
    },
  } satisfies DeviceTokens;
}

function parsePayload(body: string): DevicePayload | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    if (typeof value !== 'object' || value === null) return undefined;
    const { e, d, t } = value as Record<string, unknown>;
    return typeof e === 'string' && typeof d === 'string' && typeof t === 'number'
      ? { e, d, t }
      : undefined;
  } catch {
    return undefined;
  }
}
