// How much memory hostile connections cost the wire server: ten connections that each send
// most of a 48 MB message and stop, then 3,000 connections that send nothing. The server runs
// in a child process; its resident set size (RSS) is read before, while the connections are
// open, and after they have closed (then once more after a full garbage collection).
//
//   npm run bench:connections -w @keycard/embedded-mongo            # a server open to everyone
//   BENCH_AUTH=1 npm run bench:connections -w @keycard/embedded-mongo   # one that demands a login
import { fork, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

const megabyte = 1024 * 1024;
const maxMessageSizeBytes = 48_000_000;

interface Memory {
  rss: number;
  heapUsed: number;
  external: number;
}

function ask<T>(child: ChildProcess, request: object): Promise<T> {
  return new Promise((resolve) => {
    child.once('message', (reply) => resolve(reply as T));
    child.send(request);
  });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function describe(memory: Memory): string {
  const mb = (bytes: number) => `${(bytes / megabyte).toFixed(0)} MB`;
  return `RSS ${mb(memory.rss)} (heap ${mb(memory.heapUsed)}, buffers ${mb(memory.external)})`;
}

async function measure(child: ChildProcess, label: string): Promise<void> {
  const memory = await ask<Memory>(child, {});
  console.log(`  ${label.padEnd(34)} ${describe(memory)}`);
}

/** V8 frees the memory of collected buffers in the background after a collection: wait for it. */
async function measureAfterCollection(child: ChildProcess): Promise<void> {
  await ask<Memory>(child, { gc: true });
  await pause(1_000);
  await ask<Memory>(child, { gc: true });
  await measure(child, 'after a full GC');
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Writes `length` bytes of `chunk`s; resolves when they are all sent or the server hung up. */
function writeMany(socket: net.Socket, chunk: Buffer, length: number): Promise<void> {
  return new Promise((resolve) => {
    socket.once('close', () => resolve());
    let sent = 0;
    const next = (): void => {
      while (sent < length && !socket.destroyed) {
        const part = chunk.subarray(0, Math.min(chunk.length, length - sent));
        sent += part.length;
        if (!socket.write(part)) {
          socket.once('drain', next);
          return;
        }
      }
      if (sent >= length) socket.write(Buffer.alloc(0), () => resolve());
    };
    next();
  });
}

async function partialMessages(child: ChildProcess, port: number): Promise<void> {
  console.log('Ten connections, each sending all but 1 MB of a 48 MB message:');
  await measure(child, 'before');
  const sockets = await Promise.all(Array.from({ length: 10 }, () => connect(port)));
  const header = Buffer.alloc(16);
  header.writeInt32LE(maxMessageSizeBytes, 0);
  header.writeInt32LE(2013, 12);
  const chunk = Buffer.alloc(megabyte, 0x61);
  await Promise.all(
    sockets.map(async (socket) => {
      socket.on('error', () => undefined);
      socket.write(header);
      await writeMany(socket, chunk, maxMessageSizeBytes - 16 - megabyte);
    }),
  );
  await pause(1_000);
  const closed = sockets.filter((socket) => socket.destroyed).length;
  await measure(child, `during (${10 - closed} open, ${closed} closed)`);
  for (const socket of sockets) socket.destroy();
  await pause(1_000);
  await measure(child, 'after they closed');
  await measureAfterCollection(child);
}

async function idleConnections(child: ChildProcess, port: number): Promise<void> {
  console.log('3,000 connections that send nothing:');
  await measure(child, 'before');
  const sockets: net.Socket[] = [];
  for (let index = 0; index < 3_000; index++) {
    const socket = await connect(port);
    socket.on('error', () => undefined);
    sockets.push(socket);
  }
  await pause(1_000);
  const closed = sockets.filter((socket) => socket.destroyed).length;
  await measure(child, `during (${3_000 - closed} open, ${closed} closed)`);
  for (const socket of sockets) socket.destroy();
  await pause(1_000);
  await measure(child, 'after they closed');
  await measureAfterCollection(child);
}

/** Runs one scenario against a fresh server process, so each starts from the same memory. */
async function withServer(
  scenario: (child: ChildProcess, port: number) => Promise<void>,
): Promise<void> {
  const child = fork(path.join(__dirname, 'connection-memory-server.ts'), {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    env: { ...process.env },
  });
  const { port } = await new Promise<{ port: number }>((resolve) =>
    child.once('message', (message) => resolve(message as { port: number })),
  );
  await pause(1_000);
  await scenario(child, port);
  child.disconnect();
  await new Promise((resolve) => child.once('exit', resolve));
}

async function main(): Promise<void> {
  console.log(`wire server ${process.env.BENCH_AUTH === '1' ? 'with' : 'without'} a login`);
  await withServer(partialMessages);
  await withServer(idleConnections);
}

void main();
