import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { Binary, MongoClient, type Document } from 'mongodb';
import { serverError } from '../helpers/server-error';
import { startWireServer, type WireServer } from '../../src';
import { bson, command, connectRaw, message, opMsgBody, send } from '../helpers/raw-wire';

// With credentials, the wire server behaves as mongod with authorization on: the driver logs in
// with SCRAM-SHA-256 from the URI, unmodified, and every command but the handshake and the login
// itself answers Unauthorized (13) until a connection has.

let server: WireServer;
let admin: MongoClient;

beforeAll(async () => {
  server = await startWireServer({ auth: true });
  admin = await MongoClient.connect(server.uri);
  await admin
    .db('accounts')
    .collection('users')
    .insertOne({ _id: 'ann', role: 'user', passwordHash: '$2b$10$secret' } as Document);
});
afterAll(async () => {
  await admin.close();
  await server.stop();
});

function withoutCredentials(uri: string): string {
  const url = new URL(uri);
  url.username = '';
  url.password = '';
  url.search = '';
  return url.toString();
}

describe('a wire server started with auth: true', () => {
  it('puts random credentials in its URI only, and an address without them', () => {
    const url = new URL(server.uri);
    expect(url.username).toMatch(/^keycard-[0-9a-f]{32}$/);
    expect(decodeURIComponent(url.password)).toMatch(/^[\w-]{32}$/);
    expect(url.searchParams.get('authSource')).toBe('admin');
    expect(server.address).toBe(`127.0.0.1:${server.port}`);
    expect(server.address).not.toContain(url.password);
  });

  it('makes new credentials for every server', async () => {
    const other = await startWireServer({ auth: true });
    try {
      expect(new URL(other.uri).password).not.toBe(new URL(server.uri).password);
      expect(new URL(other.uri).username).not.toBe(new URL(server.uri).username);
    } finally {
      await other.stop();
    }
  });

  it('lets the driver log in from the URI and do everything', async () => {
    const users = admin.db('accounts').collection('users');
    await expect(users.findOne({ _id: 'ann' } as Document)).resolves.toMatchObject({
      role: 'user',
    });
    await expect(admin.db('admin').command({ connectionStatus: 1 })).resolves.toMatchObject({
      authInfo: {
        authenticatedUsers: [{ user: new URL(server.uri).username, db: 'admin' }],
        authenticatedUserRoles: [{ role: 'root', db: 'admin' }],
      },
    });
  });

  it('logs in with the mechanism named explicitly, too', async () => {
    const client = await MongoClient.connect(`${server.uri}&authMechanism=SCRAM-SHA-256`);
    try {
      await expect(client.db('accounts').collection('users').countDocuments()).resolves.toBe(1);
    } finally {
      await client.close();
    }
  });

  describe('to a client without credentials', () => {
    let anonymous: MongoClient;
    beforeAll(async () => {
      anonymous = await MongoClient.connect(withoutCredentials(server.uri));
    });
    afterAll(async () => {
      await anonymous.close();
    });

    it.each([
      ['find', () => anonymous.db('accounts').collection('users').findOne({})],
      [
        'update',
        () =>
          anonymous
            .db('accounts')
            .collection('users')
            .updateOne({ _id: 'ann' } as Document, { $set: { role: 'admin' } }),
      ],
      ['insert', () => anonymous.db('accounts').collection('users').insertOne({ role: 'admin' })],
      ['delete', () => anonymous.db('accounts').collection('users').deleteMany({})],
      ['aggregate', () => anonymous.db('accounts').collection('users').aggregate([]).toArray()],
      ['listDatabases', () => anonymous.db('admin').admin().listDatabases()],
      ['dropDatabase', () => anonymous.db('accounts').dropDatabase()],
    ])('answers %s with Unauthorized (13)', async (name, work) => {
      const error = await serverError(work());
      expect(error.code).toBe(13);
      expect(error.codeName).toBe('Unauthorized');
      expect(error.message).toBe(`Command ${name} requires authentication`);
    });

    it('leaves the data as it was', async () => {
      await expect(admin.db('accounts').collection('users').find({}).toArray()).resolves.toEqual([
        { _id: 'ann', role: 'user', passwordHash: '$2b$10$secret' },
      ]);
    });

    it('still answers hello, ping and buildInfo, as mongod does', async () => {
      await expect(anonymous.db('admin').command({ ping: 1 })).resolves.toEqual({ ok: 1 });
      await expect(anonymous.db('admin').command({ hello: 1 })).resolves.toMatchObject({
        isWritablePrimary: true,
      });
      await expect(anonymous.db('admin').command({ buildInfo: 1 })).resolves.toMatchObject({
        ok: 1,
      });
    });
  });

  it('refuses a wrong password with AuthenticationFailed (18)', async () => {
    const url = new URL(server.uri);
    url.password = 'not-the-password';
    const client = new MongoClient(url.toString(), { serverSelectionTimeoutMS: 2_000 });
    const error = await serverError(client.connect());
    expect(error.code).toBe(18);
    expect(error.message).toBe('Authentication failed.');
    await client.close();
  });

  it.each([
    ['an unknown user', (url: URL) => void (url.username = 'someone-else')],
    [
      'the right user in another database',
      (url: URL) => url.searchParams.set('authSource', 'accounts'),
    ],
  ])('refuses %s with AuthenticationFailed (18)', async (_label, change) => {
    const url = new URL(server.uri);
    change(url);
    const client = new MongoClient(url.toString(), { serverSelectionTimeoutMS: 2_000 });
    expect((await serverError(client.connect())).code).toBe(18);
    await client.close();
  });

  it('refuses SCRAM-SHA-1 with MechanismUnavailable (334)', async () => {
    const client = new MongoClient(`${server.uri}&authMechanism=SCRAM-SHA-1`, {
      serverSelectionTimeoutMS: 2_000,
    });
    const error = await serverError(client.connect());
    expect(error.code).toBe(334);
    await client.close();
  });

  it('closes, unread, a message longer than 16 KB from a connection that has not logged in', async () => {
    const connection = await connectRaw(server.port);
    const big = command({ insert: 'users', $db: 'accounts', padding: 'x'.repeat(20_000) });
    await expect(send(connection, big)).resolves.toBe('closed');
    const small = await connectRaw(server.port);
    await expect(send(small, command({ find: 'users', $db: 'accounts' }))).resolves.toMatchObject({
      ok: 0,
      code: 13,
    });
    small.socket.destroy();
  });
});

describe('SCRAM-SHA-256 without the driver', () => {
  // A client written from RFC 5802/7677, on a raw socket: the conversation through saslStart and
  // saslContinue, with and without skipEmptyExchange, and a forged proof.
  function hmac(key: Buffer, text: string): Buffer {
    return createHmac('sha256', key).update(text).digest();
  }

  async function logIn(options: {
    skipEmptyExchange: boolean;
    forge?: boolean;
    speculative?: boolean;
  }) {
    const { username, password } = new URL(server.uri);
    const connection = await connectRaw(server.port);
    const nonce = randomBytes(18).toString('base64');
    const clientFirstBare = `n=${decodeURIComponent(username)},r=${nonce}`;
    const saslStart = {
      saslStart: 1,
      mechanism: 'SCRAM-SHA-256',
      payload: new Binary(Buffer.from(`n,,${clientFirstBare}`)),
      options: { skipEmptyExchange: options.skipEmptyExchange },
    };
    // The driver's way: the first step rides on the handshake, as speculativeAuthenticate.
    const reply = await send(
      connection,
      options.speculative
        ? command({
            hello: 1,
            speculativeAuthenticate: { ...saslStart, db: 'admin' },
            $db: 'admin',
          })
        : command({ ...saslStart, $db: 'admin' }),
    );
    if (reply === 'closed') throw new Error('closed');
    const first = (options.speculative ? reply.speculativeAuthenticate : reply) as Document;
    const serverFirst = Buffer.from((first.payload as Binary).buffer).toString();
    const fields = Object.fromEntries(
      serverFirst.split(',').map((part) => [part[0], part.slice(2)]),
    );
    expect(fields.r?.startsWith(nonce)).toBe(true);
    const salted = pbkdf2Sync(
      decodeURIComponent(password),
      Buffer.from(fields.s ?? '', 'base64'),
      Number(fields.i),
      32,
      'sha256',
    );
    const clientKey = hmac(salted, 'Client Key');
    const storedKey = createHash('sha256').update(clientKey).digest();
    const withoutProof = `c=biws,r=${fields.r}`;
    const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
    const signature = hmac(storedKey, authMessage);
    const proof = Buffer.from(clientKey.map((byte, index) => byte ^ (signature[index] ?? 0)));
    if (options.forge) proof[0] = (proof[0] ?? 0) ^ 1;
    const second = await send(
      connection,
      command({
        saslContinue: 1,
        conversationId: first.conversationId as number,
        payload: new Binary(Buffer.from(`${withoutProof},p=${proof.toString('base64')}`)),
        $db: 'admin',
      }),
    );
    const expectedServerSignature = hmac(hmac(salted, 'Server Key'), authMessage);
    return { connection, first, second, expectedServerSignature };
  }

  it('logs in in two steps with skipEmptyExchange, and the server proves it knows the key', async () => {
    const { connection, first, second, expectedServerSignature } = await logIn({
      skipEmptyExchange: true,
    });
    expect(first).toMatchObject({ ok: 1, done: false, conversationId: 1 });
    expect(second).toMatchObject({ ok: 1, done: true, conversationId: 1 });
    if (second === 'closed') throw new Error('closed');
    expect(Buffer.from((second.payload as Binary).buffer).toString()).toBe(
      `v=${expectedServerSignature.toString('base64')}`,
    );
    await expect(
      send(connection, command({ find: 'users', $db: 'accounts' })),
    ).resolves.toMatchObject({
      ok: 1,
    });
    connection.socket.destroy();
  });

  it('logs in with the first step inside hello (speculativeAuthenticate)', async () => {
    const { connection, first, second } = await logIn({
      skipEmptyExchange: true,
      speculative: true,
    });
    expect(first).toMatchObject({ conversationId: 1, done: false });
    expect(second).toMatchObject({ ok: 1, done: true });
    await expect(
      send(connection, command({ find: 'users', $db: 'accounts' })),
    ).resolves.toMatchObject({
      ok: 1,
    });
    connection.socket.destroy();
  });

  it('tells hello which mechanisms the user has, and nothing about an unknown user', async () => {
    const connection = await connectRaw(server.port);
    const user = decodeURIComponent(new URL(server.uri).username);
    await expect(
      send(connection, command({ hello: 1, saslSupportedMechs: `admin.${user}`, $db: 'admin' })),
    ).resolves.toMatchObject({ saslSupportedMechs: ['SCRAM-SHA-256'] });
    const unknown = await send(
      connection,
      command({
        hello: 1,
        saslSupportedMechs: 'admin.nobody',
        speculativeAuthenticate: {
          saslStart: 1,
          mechanism: 'SCRAM-SHA-256',
          payload: new Binary(Buffer.from('n,,n=nobody,r=abc')),
          db: 'admin',
        },
        $db: 'admin',
      }),
    );
    expect(unknown).toMatchObject({ ok: 1, isWritablePrimary: true });
    expect(unknown).not.toHaveProperty('saslSupportedMechs');
    expect(unknown).not.toHaveProperty('speculativeAuthenticate');
    connection.socket.destroy();
  });

  it('logs in in three steps without it', async () => {
    const { connection, second } = await logIn({ skipEmptyExchange: false });
    expect(second).toMatchObject({ ok: 1, done: false });
    const last = await send(
      connection,
      command({
        saslContinue: 1,
        conversationId: 1,
        payload: new Binary(Buffer.alloc(0)),
        $db: 'admin',
      }),
    );
    expect(last).toMatchObject({ ok: 1, done: true });
    await expect(
      send(connection, command({ find: 'users', $db: 'accounts' })),
    ).resolves.toMatchObject({
      ok: 1,
    });
    connection.socket.destroy();
  });

  it('refuses a forged proof with AuthenticationFailed (18) and stays locked', async () => {
    const { connection, second } = await logIn({ skipEmptyExchange: true, forge: true });
    expect(second).toMatchObject({ ok: 0, code: 18, errmsg: 'Authentication failed.' });
    await expect(
      send(connection, command({ find: 'users', $db: 'accounts' })),
    ).resolves.toMatchObject({
      ok: 0,
      code: 13,
    });
    connection.socket.destroy();
  });

  it('answers saslContinue with no conversation with ProtocolError (17)', async () => {
    const connection = await connectRaw(server.port);
    const reply = await send(
      connection,
      command({
        saslContinue: 1,
        conversationId: 1,
        payload: new Binary(Buffer.from('x')),
        $db: 'admin',
      }),
    );
    expect(reply).toMatchObject({ ok: 0, code: 17 });
    connection.socket.destroy();
  });

  it.each([
    ['channel binding', 'p=tls-unique,,n=user,r=abc'],
    ['no nonce', 'n,,n=user'],
    ['a mandatory extension', 'n,,m=ext,n=user,r=abc'],
    ['a bare "=" in the name', 'n,,n=us=er,r=abc'],
  ])(
    'refuses a client-first message with %s with AuthenticationFailed (18)',
    async (_label, text) => {
      const connection = await connectRaw(server.port);
      const reply = await send(
        connection,
        message(
          opMsgBody(
            bson({
              saslStart: 1,
              mechanism: 'SCRAM-SHA-256',
              payload: new Binary(Buffer.from(text)),
              $db: 'admin',
            }),
          ),
        ),
      );
      expect(reply).toMatchObject({ ok: 0, code: 18 });
      connection.socket.destroy();
    },
  );
});

describe('a wire server started with given credentials', () => {
  it('demands exactly those', async () => {
    const given = await startWireServer({ auth: { username: 'dev', password: 'p@ss word:/?' } });
    try {
      expect(given.uri).toBe(
        `mongodb://dev:p%40ss%20word%3A%2F%3F@127.0.0.1:${given.port}/?authSource=admin`,
      );
      const client = await MongoClient.connect(given.uri);
      await expect(client.db('x').collection('y').countDocuments()).resolves.toBe(0);
      await client.close();
    } finally {
      await given.stop();
    }
  });

  it.each([
    [{ username: '', password: 'x' }, /username must be a string of 1 to 1024 characters/],
    [{ username: 'dev', password: 'pässword' }, /password may contain only printable ASCII/],
    [{ username: 'dev\n', password: 'x' }, /username may contain only printable ASCII/],
  ])('refuses %p before listening', async (auth, reason) => {
    await expect(startWireServer({ auth })).rejects.toThrow(reason);
  });
});

describe('a wire server started without auth', () => {
  it('stays open to any client, as before', async () => {
    const open = await startWireServer();
    try {
      expect(open.uri).toBe(`mongodb://127.0.0.1:${open.port}/`);
      const client = await MongoClient.connect(open.uri);
      await expect(client.db('x').collection('y').insertOne({ a: 1 })).resolves.toMatchObject({
        acknowledged: true,
      });
      await client.close();
    } finally {
      await open.stop();
    }
  });
});
