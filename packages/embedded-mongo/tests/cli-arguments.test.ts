import { CliUsageError, parseCliArguments } from '../src/cli-arguments';

describe('parseCliArguments', () => {
  it.each([
    [[], { help: false, mode: 'auto', port: undefined, auth: false }],
    [['--mode', 'wire'], { help: false, mode: 'wire', port: undefined, auth: false }],
    [
      ['--mode=mongod', '--port', '27017'],
      { help: false, mode: 'mongod', port: 27017, auth: false },
    ],
    [['--port', '0'], { help: false, mode: 'auto', port: 0, auth: false }],
    [
      ['--port', '27017', '--dbpath', 'data/db'],
      { help: false, mode: 'auto', port: 27017, dbPath: 'data/db', auth: false },
    ],
    [
      ['--dbpath=/srv/mongo'],
      { help: false, mode: 'auto', port: undefined, dbPath: '/srv/mongo', auth: false },
    ],
    [['--auth', '--mode', 'wire'], { help: false, mode: 'wire', port: undefined, auth: true }],
    [['--help'], { help: true }],
    [['-h', '--mode', 'bogus'], { help: true }],
  ])('reads %p as %p', (args, expected) => {
    expect(parseCliArguments(args)).toEqual(expected);
  });

  it.each([
    [['--mode', 'memory'], '--mode must be one of auto, mongod, wire; got "memory"'],
    [['--port', '65536'], '--port must be a whole number from 0 to 65535; got "65536"'],
    [['--port', '80.5'], '--port must be a whole number from 0 to 65535; got "80.5"'],
    [['--port', 'x'], '--port must be a whole number from 0 to 65535; got "x"'],
    [['--dbpath', ''], '--dbpath must name a directory'],
    [['--dbpath', ' '], '--dbpath must name a directory'],
    // The wording of these comes from node:util parseArgs; they must at least name the culprit.
    [['--port', '-1'], "'--port'"],
    [['--mode'], "'--mode"],
    [['--dbpath'], "'--dbpath"],
    [['--verbose'], "'--verbose'"],
    [['wire'], "'wire'"],
  ])('refuses %p with a usage error naming %s', (args, message) => {
    let thrown: unknown;
    try {
      parseCliArguments(args);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(CliUsageError);
    expect((thrown as Error).message).toContain(message);
  });
});
