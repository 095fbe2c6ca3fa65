import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

export function createLogger(options: {
  level: string;
  /** Where lines go (standard output by default); tests capture them here. */
  destination?: DestinationStream;
}): Logger {
  return pino(
    {
      level: options.level,
      // Defence in depth: nothing that grants access may ever be written to a log line.
      redact: {
        paths: [
          'password',
          '*.password',
          'token',
          '*.token',
          'refreshToken',
          '*.refreshToken',
          'req.headers.authorization',
          'req.headers.cookie',
          'res.headers["set-cookie"]',
        ],
        censor: '[redacted]',
      },
    },
    // Standard output, written asynchronously: lines that pile up while one write is in
    // flight go out together, instead of one system call per line on the request path.
    // pino flushes what is left when the process exits.
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
