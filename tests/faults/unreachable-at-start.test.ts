import { freePort, killAll, spawnKeycard } from '../helpers/real-processes';

// keycard started while its database is not there: it says where it is waiting, early, then
// gives up after MONGO_CONNECT_TIMEOUT with a message that names the cause.
jest.setTimeout(60_000);

afterAll(killAll);

interface LogLine {
  time: number;
  msg: string;
}

function lineWith(output: string, text: string): LogLine | undefined {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine)
    .find((line) => line.msg.includes(text));
}

describe('a real keycard process whose MONGO_URI points at a closed port', () => {
  it('logs that it waits for that host and port, then exits 1 after MONGO_CONNECT_TIMEOUT', async () => {
    const port = await freePort();
    const keycard = spawnKeycard({
      MONGO_URI: `mongodb://127.0.0.1:${port}/keycard`,
      MONGO_CONNECT_TIMEOUT: '2s',
    });
    const code = await keycard.exited;
    const output = keycard.output();
    expect(code).toBe(1);
    const waiting = lineWith(output, `waiting for MongoDB at 127.0.0.1:${port}`);
    const gaveUp = lineWith(
      output,
      `MongoDB at 127.0.0.1:${port} did not answer within 2 s (MONGO_CONNECT_TIMEOUT); ` +
        'keycard is not starting',
    );
    expect(waiting).toBeDefined();
    expect(gaveUp).toBeDefined();
    // The notice comes 0.5 s into the 2 s wait: well before keycard gives up.
    expect((gaveUp?.time ?? 0) - (waiting?.time ?? 0)).toBeGreaterThanOrEqual(1000);
    expect(output).not.toContain('listening on');
  });
});
