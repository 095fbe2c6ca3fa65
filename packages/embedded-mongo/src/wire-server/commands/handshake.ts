import os from 'node:os';
import { isDocument, toNumber, type BsonDocument } from '../bson-values';
import { CommandError } from '../errors';
import { maxBsonObjectSize, maxMessageSizeBytes } from '../wire-protocol';
import {
  authenticationInfo,
  speculativeAuthentication,
  supportedMechanisms,
} from './authentication';
import type { CommandContext, CommandHandler, ConnectionContext } from './command-context';

export const serverVersion = '7.0.0-keycard-wire';

/**
 * A standalone server: no setName, no topologyVersion (so the driver polls instead of streaming
 * hello), no compression offered. maxWireVersion 21 is MongoDB 7.0. With credentials it also
 * names the user's mechanisms and may start the login (see authentication.ts).
 */
export function helloReply(
  command: BsonDocument,
  context: ConnectionContext,
  legacy: boolean,
): BsonDocument {
  return {
    ...(command.helloOk === true ? { helloOk: true } : {}),
    ...(legacy ? { ismaster: true } : { isWritablePrimary: true }),
    maxBsonObjectSize,
    maxMessageSizeBytes,
    maxWriteBatchSize: 100_000,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: 30,
    connectionId: context.connectionId,
    minWireVersion: 0,
    maxWireVersion: 21,
    readOnly: false,
    ...supportedMechanisms(command, context),
    ...speculativeAuthentication(command, context),
    ok: 1,
  };
}

const buildInfo: CommandHandler = () => ({
  version: serverVersion,
  gitVersion: 'keycard-wire',
  versionArray: [7, 0, 0, 0],
  bits: 64,
  debug: false,
  maxBsonObjectSize,
  javascriptEngine: 'none',
  storageEngines: ['inMemory'],
  modules: [],
  openssl: { running: 'disabled' },
  ok: 1,
});

function requireAdmin(name: string, context: CommandContext): void {
  if (context.database !== 'admin') {
    throw new CommandError('Unauthorized', `${name} may only be run against the admin database.`);
  }
}

const getParameter: CommandHandler = (command, context) => {
  requireAdmin('getParameter', context);
  const wanted = command.getParameter;
  const all = wanted === '*' || (isDocument(wanted) && wanted.allParameters === true);
  if (all || command.ttlMonitorSleepSecs !== undefined) {
    return { ttlMonitorSleepSecs: context.server.ttlMonitorSleepSecs(), ok: 1 };
  }
  throw new CommandError('InvalidOptions', 'no option found to get');
};

const setParameter: CommandHandler = (command, context) => {
  requireAdmin('setParameter', context);
  const names = Object.keys(command).filter(
    (key) => key !== 'setParameter' && !key.startsWith('$') && key !== 'lsid',
  );
  if (names.length === 0)
    throw new CommandError(
      'InvalidOptions',
      'no option found to set, use help:true to see options ',
    );
  for (const name of names) {
    if (name !== 'ttlMonitorSleepSecs') {
      throw new CommandError(
        'InvalidOptions',
        `attempted to set unrecognized parameter [${name}], use help:true to see options `,
      );
    }
  }
  const seconds = toNumber(command.ttlMonitorSleepSecs);
  // Past 2^31-1 ms Node's timers fire every millisecond instead: keep to what a timer can hold.
  if (seconds === undefined || !Number.isInteger(seconds) || seconds < 1 || seconds > 2_147_483) {
    throw new CommandError(
      'BadValue',
      'ttlMonitorSleepSecs must be a whole number from 1 to 2147483',
    );
  }
  const was = context.server.ttlMonitorSleepSecs();
  context.server.setTtlMonitorSleepSecs(seconds);
  return { was, ok: 1 };
};

const listDatabases: CommandHandler = (command, context) => {
  requireAdmin('listDatabases', context);
  const names = context.server.store.databases();
  if (command.nameOnly === true) return { databases: names.map((name) => ({ name })), ok: 1 };
  return {
    databases: names.map((name) => ({ name, sizeOnDisk: 0, empty: false })),
    totalSize: 0,
    totalSizeMb: 0,
    ok: 1,
  };
};

export const handshakeCommands: Record<string, CommandHandler> = {
  hello: (command, context) => helloReply(command, context, false),
  ismaster: (command, context) => helloReply(command, context, true),
  isMaster: (command, context) => helloReply(command, context, true),
  ping: () => ({ ok: 1 }),
  buildInfo,
  buildinfo: buildInfo,
  endSessions: () => ({ ok: 1 }),
  killSessions: () => ({ ok: 1 }),
  refreshSessions: () => ({ ok: 1 }),
  getParameter,
  setParameter,
  listDatabases,
  whatsmyuri: () => ({ you: '127.0.0.1', ok: 1 }),
  connectionStatus: (_command, context) => ({ authInfo: authenticationInfo(context), ok: 1 }),
  hostInfo: () => ({
    system: { hostname: os.hostname(), cpuAddrSize: 64, numCores: os.cpus().length },
    os: { type: os.type(), name: os.platform(), version: os.release() },
    ok: 1,
  }),
  getCmdLineOpts: () => ({ argv: ['keycard-wire'], parsed: {}, ok: 1 }),
  getLog: () => ({ totalLinesWritten: 0, log: [], ok: 1 }),
  serverStatus: (_command, context) => ({
    host: os.hostname(),
    version: serverVersion,
    process: 'keycard-wire',
    pid: process.pid,
    uptime: Math.floor((Date.now() - context.server.startedAt) / 1000),
    localTime: new Date(),
    ok: 1,
  }),
};
