// The server half of connection-memory.ts: a wire server in a process of its own, so that the
// resident memory it reports is the server's alone. It answers { rss: true } messages from the
// parent with its memory figures, after a full garbage collection when asked.
import { startWireServer } from '../src';

interface Request {
  gc?: boolean;
}

async function main(): Promise<void> {
  const server = await startWireServer({ auth: process.env.BENCH_AUTH === '1' });
  process.on('message', (request: Request) => {
    if (request.gc) globalThis.gc?.();
    const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
    process.send?.({ rss, heapUsed, external, arrayBuffers });
  });
  process.once('disconnect', () => void server.stop().then(() => process.exit(0)));
  process.send?.({ port: server.port });
}

void main();
