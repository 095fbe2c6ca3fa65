import { z } from 'zod';
import type { PublicUser } from '../../core/public-user';
import type { SessionSummary } from '../../core/session-service';
import type { UserPage } from '../../core/admin-users';
import { ROLES } from '../../models/roles';

// What keycard answers. Strict objects: a field that is not listed here (a leaked password
// hash, an internal id) fails the OpenAPI check of every test that receives it.

const USER_ID = '665f1c2e8a1b2c3d4e5f6a7b';
const WHEN = '2025-01-15T09:30:00.000Z';

export const publicUserSchema = z
  .strictObject({
    id: z.string(),
    name: z.string(),
    email: z.string(),
    role: z.enum(ROLES),
    emailVerified: z.boolean().meta({ description: 'Whether the address was confirmed by mail' }),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({
    id: 'User',
    example: {
      id: USER_ID,
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      emailVerified: true,
      role: 'user',
      createdAt: WHEN,
      updatedAt: WHEN,
    },
  });

export const userResponseSchema = z
  .strictObject({ user: publicUserSchema })
  .meta({ id: 'UserResponse' });

export const authResponseSchema = z
  .strictObject({
    token: z.string().meta({ description: 'The access token (a JWT), for Authorization: Bearer' }),
    tokenType: z.literal('Bearer'),
    expiresIn: z.number().int().meta({ description: 'Seconds until the access token expires' }),
    refreshToken: z.string().optional().meta({
      description: 'Left out when the refresh token was set as a cookie instead',
    }),
    refreshExpiresIn: z.number().int().meta({ description: 'Seconds left in the session' }),
    deviceToken: z.string().optional().meta({
      description: 'Send back in X-Device-Token at the next login: it marks a known device',
    }),
    user: publicUserSchema,
  })
  .meta({
    id: 'AuthResponse',
    example: {
      token: 'eyJhbGciOiJIUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6Ii4uLiJ9.e30.c2lnbmF0dXJl',
      tokenType: 'Bearer',
      expiresIn: 900,
      refreshToken: `${USER_ID}.kV3n0o1YF5x2GZ8tq0Jc4k1n9d7bq2Wc3Pz6y8Xw1Aa`,
      refreshExpiresIn: 604_800,
      user: {
        id: USER_ID,
        name: 'Ada Lovelace',
        email: 'ada@example.com',
        role: 'user',
        emailVerified: true,
        createdAt: WHEN,
        updatedAt: WHEN,
      },
    },
  });

export const sessionListSchema = z
  .strictObject({
    sessions: z.array(
      z.strictObject({
        id: z.string(),
        createdAt: z.iso.datetime(),
        lastUsedAt: z.iso.datetime(),
        userAgent: z.string(),
        ip: z.string(),
        current: z.boolean().meta({ description: 'The session of the token that asked' }),
      }),
    ),
  })
  .meta({
    id: 'SessionList',
    example: {
      sessions: [
        {
          id: USER_ID,
          createdAt: WHEN,
          lastUsedAt: WHEN,
          userAgent: 'Mozilla/5.0',
          ip: '203.0.113.7',
          current: true,
        },
      ],
    },
  });

export const userPageSchema = z
  .strictObject({
    users: z.array(publicUserSchema),
    page: z.number().int(),
    limit: z.number().int(),
    total: z.number().int().meta({ description: 'Users matching the filters, on all pages' }),
  })
  .meta({ id: 'UserPage' });

/** An accepted request whose effect arrives by mail. */
export const messageSchema = z
  .strictObject({ message: z.string() })
  .meta({ id: 'Message', example: { message: 'A link is on its way' } });

export const healthSchema = z
  .strictObject({ status: z.enum(['ok', 'draining']) })
  .meta({ id: 'Health', example: { status: 'ok' } });

export const welcomeSchema = z
  .strictObject({
    name: z.literal('keycard'),
    description: z.string(),
    endpoints: z.array(z.string()).meta({ description: 'Every operation of /openapi.json' }),
    documentation: z.string().meta({ description: 'Where the OpenAPI document is' }),
  })
  .meta({ id: 'Welcome' });

// Fails to compile when the core's types and these schemas part ways.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agree: [
  Same<z.output<typeof publicUserSchema>, PublicUser>,
  Same<z.output<typeof sessionListSchema>['sessions'][number], SessionSummary>,
  Same<z.output<typeof userPageSchema>, UserPage>,
] = [true, true, true];
void agree;
