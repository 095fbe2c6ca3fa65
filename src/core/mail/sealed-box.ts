import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

const ALGORITHM = 'aes-256-gcm';
const VERSION = 'v1';

/**
 * Encrypts what a waiting mail must keep but the database must not reveal: the link with its
 * token. A reader of the outbox without the server's secret learns nothing usable; the token
 * itself is stored elsewhere only as a hash.
 */
export interface SealedBox {
  seal(values: Record<string, string>): string;
  /** The values, or undefined when no known key opens them (a secret rotated away). */
  open(sealed: string): Record<string, string> | undefined;
}

/** A key of its own, derived from a signing secret, so the two are never the same bytes. */
function keyOf(secret: string): Buffer {
  return createHmac('sha256', secret).update('keycard mail outbox').digest();
}

export function createSealedBox(
  secret: string,
  previousSecrets: readonly string[] = [],
): SealedBox {
  const key = keyOf(secret);
  const openers = [key, ...previousSecrets.map(keyOf)];

  function openWith(candidate: Buffer, parts: Buffer[]): Record<string, string> | undefined {
    const [iv, body, tag] = parts;
    if (!iv || !body || !tag) return undefined;
    try {
      const decipher = createDecipheriv(ALGORITHM, candidate, iv);
      decipher.setAuthTag(tag);
      const plain = Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
      return JSON.parse(plain) as Record<string, string>;
    } catch {
      return undefined;
    }
  }

  return {
    seal(values) {
      const iv = randomBytes(12);
      const cipher = createCipheriv(ALGORITHM, key, iv);
      const body = Buffer.concat([cipher.update(JSON.stringify(values), 'utf8'), cipher.final()]);
      return [VERSION, iv, body, cipher.getAuthTag()]
        .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
        .join('.');
    },

    open(sealed) {
      const [version, ...encoded] = sealed.split('.');
      if (version !== VERSION || encoded.length !== 3) return undefined;
      const parts = encoded.map((part) => Buffer.from(part, 'base64url'));
      for (const candidate of openers) {
        const values = openWith(candidate, parts);
        if (values) return values;
      }
      return undefined;
    },
  };
}
