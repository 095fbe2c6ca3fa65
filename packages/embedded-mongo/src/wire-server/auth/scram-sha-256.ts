import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

// The server side of SCRAM-SHA-256 (RFC 5802, RFC 7677) as MongoDB speaks it: no channel
// binding, no authorization identity, the password already SASLprep'd by the client.
// https://github.com/mongodb/specifications/blob/master/source/auth/auth.md#scram-sha-256

export const scramSha256 = 'SCRAM-SHA-256';
/** mongod's default scramSHA256IterationCount; drivers refuse fewer than 4096. */
const iterationCount = 15_000;
/** mongod's salt length for SCRAM-SHA-256: the digest size minus four bytes. */
const saltLength = 28;
const nonceBytes = 24;

/** What the server keeps of the password: never the password itself. */
export interface ScramCredential {
  readonly username: string;
  readonly salt: Buffer;
  readonly iterations: number;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

/** The first half of a conversation, kept by the connection until the client's proof arrives. */
export interface ScramConversation {
  readonly credential: ScramCredential;
  readonly gs2Header: string;
  readonly clientFirstBare: string;
  readonly serverFirst: string;
  readonly nonce: string;
}

/** A malformed or wrong message; the client learns only that authentication failed. */
export class ScramError extends Error {}

function hmac(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text, 'utf8').digest();
}

function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

export function deriveScramCredential(username: string, password: string): ScramCredential {
  const salt = randomBytes(saltLength);
  const salted = pbkdf2Sync(password, salt, iterationCount, 32, 'sha256');
  return {
    username,
    salt,
    iterations: iterationCount,
    storedKey: sha256(hmac(salted, 'Client Key')),
    serverKey: hmac(salted, 'Server Key'),
  };
}

/** `name=value` pairs in order; a value may contain '=' but never ','. */
function parseAttributes(text: string): Array<[string, string]> {
  return text.split(',').map((part) => {
    const match = /^([a-zA-Z])=(.*)$/s.exec(part);
    if (!match?.[1] || match[2] === undefined) throw new ScramError('malformed SCRAM attribute');
    return [match[1], match[2]];
  });
}

/** RFC 5802 saslname: ',' and '=' travel as '=2C' and '=3D', and no other '=' may appear. */
function decodeSaslName(encoded: string): string {
  if (/=(?!2C|3D)/.test(encoded)) throw new ScramError('malformed SCRAM user name');
  return encoded.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

const printableNonce = /^[\x21-\x2b\x2d-\x7e]+$/;

/**
 * Reads the client-first message and answers with the server-first one. `find` looks the user
 * up; an unknown user fails here, as it does on mongod.
 */
export function startScramConversation(
  payload: Buffer,
  find: (username: string) => ScramCredential | undefined,
): { conversation: ScramConversation; serverFirst: Buffer } {
  const text = payload.toString('utf8');
  // 'n' (client cannot bind) or 'y' (client could, but believes the server cannot); 'p=' asks
  // for channel binding, which this server does not offer. No authorization identity either.
  const gs2Header = text.slice(0, 3);
  if (gs2Header !== 'n,,' && gs2Header !== 'y,,') throw new ScramError('unsupported GS2 header');
  const clientFirstBare = text.slice(3);
  const [user, nonce, ...extensions] = parseAttributes(clientFirstBare);
  if (user?.[0] !== 'n' || nonce?.[0] !== 'r' || extensions.some(([name]) => name === 'm')) {
    throw new ScramError('malformed client-first message');
  }
  if (!printableNonce.test(nonce[1])) throw new ScramError('malformed client nonce');
  const credential = find(decodeSaslName(user[1]));
  if (!credential) throw new ScramError('unknown user');
  const combinedNonce = nonce[1] + randomBytes(nonceBytes).toString('base64');
  const serverFirst = `r=${combinedNonce},s=${credential.salt.toString('base64')},i=${credential.iterations}`;
  return {
    conversation: { credential, gs2Header, clientFirstBare, serverFirst, nonce: combinedNonce },
    serverFirst: Buffer.from(serverFirst, 'utf8'),
  };
}

/** Checks the client's proof; returns the server-final message, which proves the server. */
export function finishScramConversation(conversation: ScramConversation, payload: Buffer): Buffer {
  const text = payload.toString('utf8');
  const proofAt = text.lastIndexOf(',p=');
  if (proofAt < 0) throw new ScramError('client-final message has no proof');
  const withoutProof = text.slice(0, proofAt);
  const [binding, nonce] = parseAttributes(withoutProof);
  if (binding?.[0] !== 'c' || nonce?.[0] !== 'r') throw new ScramError('malformed client-final');
  if (binding[1] !== Buffer.from(conversation.gs2Header).toString('base64')) {
    throw new ScramError('channel binding does not match the GS2 header');
  }
  if (nonce[1] !== conversation.nonce) throw new ScramError('nonce does not match');
  const proof = Buffer.from(text.slice(proofAt + 3), 'base64');
  const { storedKey, serverKey } = conversation.credential;
  if (proof.length !== storedKey.length) throw new ScramError('malformed proof');
  const authMessage = `${conversation.clientFirstBare},${conversation.serverFirst},${withoutProof}`;
  const clientSignature = hmac(storedKey, authMessage);
  const clientKey = Buffer.alloc(proof.length);
  for (let index = 0; index < proof.length; index++) {
    clientKey[index] = (proof[index] ?? 0) ^ (clientSignature[index] ?? 0);
  }
  // Constant time, so the comparison says nothing about how much of the proof was right.
  if (!timingSafeEqual(sha256(clientKey), storedKey)) throw new ScramError('wrong proof');
  return Buffer.from(`v=${hmac(serverKey, authMessage).toString('base64')}`, 'utf8');
}
