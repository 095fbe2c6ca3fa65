import jwt from 'jsonwebtoken';
import { keyIdOf } from '../../src/core/tokens';
import { appsClosedAfterAll, bearer, createUser, request } from '../helpers/test-app';

const OLD_SECRET = 'old-signing-key-0123456789-abcdefghijklmnopqrstuvwxyz';
const NEW_SECRET = 'new-signing-key-9876543210-zyxwvutsrqponmlkjihgfedcba';

const appWith = appsClosedAfterAll('key_rotation');

describe('signing key rotation', () => {
  it('tokens name their key by a kid derived from it, never the key, and are typed at+jwt', async () => {
    const before = await appWith({ JWT_SECRET: OLD_SECRET });
    const { token } = await createUser(before);
    const { header } = jwt.decode(token, { complete: true }) as jwt.Jwt;
    expect(header).toEqual({ alg: 'HS256', typ: 'at+jwt', kid: keyIdOf(OLD_SECRET) });
    expect(token).not.toContain(Buffer.from(OLD_SECRET).toString('base64url').slice(0, 12));
    expect(keyIdOf(OLD_SECRET)).not.toBe(keyIdOf(NEW_SECRET));
  });

  it('old tokens still verify while the old secret is in JWT_PREVIOUS_SECRETS, and stop once removed', async () => {
    const before = await appWith({ JWT_SECRET: OLD_SECRET });
    const { token: oldToken } = await createUser(before);
    const during = await appWith(
      { JWT_SECRET: NEW_SECRET, JWT_PREVIOUS_SECRETS: OLD_SECRET },
      before,
    );
    const after = await appWith({ JWT_SECRET: NEW_SECRET }, before);

    await request(during.app).get('/api/profile').set(bearer(oldToken)).expect(200);
    const { token: newToken } = await createUser(during);
    expect((jwt.decode(newToken, { complete: true }) as jwt.Jwt).header.kid).toBe(
      keyIdOf(NEW_SECRET),
    );

    const refused = await request(after.app).get('/api/profile').set(bearer(oldToken));
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('invalid_token');
    await request(after.app).get('/api/profile').set(bearer(newToken)).expect(200);
  });

  it('a token signed with a previous secret but claiming the current kid is refused', async () => {
    const before = await appWith({ JWT_SECRET: OLD_SECRET });
    const during = await appWith(
      { JWT_SECRET: NEW_SECRET, JWT_PREVIOUS_SECRETS: OLD_SECRET },
      before,
    );
    const { token } = await createUser(before);
    const payload = jwt.decode(token) as jwt.JwtPayload;
    const mislabelled = jwt.sign(payload, OLD_SECRET, {
      header: { alg: 'HS256', typ: 'at+jwt', kid: keyIdOf(NEW_SECRET) },
    });
    const response = await request(during.app).get('/api/profile').set(bearer(mislabelled));
    expect(response.body.code).toBe('invalid_token');
  });
});

describe('refresh races across a key rotation', () => {
  it('a client racing on an instance with the new secret gets the successor the old one made', async () => {
    const before = await appWith({ JWT_SECRET: OLD_SECRET });
    const during = await appWith(
      { JWT_SECRET: NEW_SECRET, JWT_PREVIOUS_SECRETS: OLD_SECRET },
      before,
    );
    const { refreshToken } = await createUser(before);
    const first = await request(before.app).post('/api/auth/refresh').send({ refreshToken });
    const racer = await request(during.app).post('/api/auth/refresh').send({ refreshToken });
    expect(first.status).toBe(200);
    expect(racer.status).toBe(200);
    expect(racer.body.refreshToken).toBe(first.body.refreshToken);
  });
});
