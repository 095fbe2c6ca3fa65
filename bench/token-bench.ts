// Micro-benchmark of access-token signing and verification: keycard's KeyObject path against
// the string-secret path most tutorials use (auth0/node-jsonwebtoken#966).
import { randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { createTokenService } from '../src/core/tokens';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 5000);
const secret = randomBytes(64).toString('base64url');
const settings = { secret, issuer: 'keycard', audience: 'keycard-api', accessTokenTtlSeconds: 900 };
const subject = {
  id: '0123456789abcdef01234567',
  role: 'user' as const,
  sessionId: '0123456789abcdef01234568',
};

function measure(label: string, run: () => void): void {
  for (let i = 0; i < 200; i += 1) run(); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < ITERATIONS; i += 1) run();
  const micros = Number(process.hrtime.bigint() - start) / 1000 / ITERATIONS;
  console.log(
    `${label.padEnd(44)} ${micros.toFixed(1).padStart(8)} µs/op  ${Math.round(1e6 / micros)} ops/s`,
  );
}

const tokens = createTokenService(settings);
const token = tokens.signAccessToken(subject).token;
const options = {
  algorithm: 'HS256',
  issuer: 'keycard',
  audience: 'keycard-api',
  expiresIn: 900,
} as const;
const verifyOptions = {
  algorithms: ['HS256' as const],
  issuer: 'keycard',
  audience: 'keycard-api',
};

console.log(`node ${process.version}, ${ITERATIONS} iterations each`);
measure('keycard signAccessToken (KeyObject)', () => tokens.signAccessToken(subject));
measure('keycard verifyAccessToken (KeyObject)', () => tokens.verifyAccessToken(token));
measure('jsonwebtoken sign, string secret', () => jwt.sign({ role: 'user' }, secret, options));
measure('jsonwebtoken verify, string secret', () => jwt.verify(token, secret, verifyOptions));
