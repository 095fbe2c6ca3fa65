import { MongoServerError } from 'mongodb';

/**
 * Awaits an operation that the server must refuse and returns the server's error, so the test can
 * assert on its code, codeName and message. A success, or an error raised by the driver itself
 * rather than sent by the server, fails the test.
 */
export async function serverError(operation: Promise<unknown>): Promise<MongoServerError> {
  try {
    await operation;
  } catch (error) {
    if (error instanceof MongoServerError) return error;
    throw error;
  }
  throw new Error('expected the server to refuse the operation, but it succeeded');
}
