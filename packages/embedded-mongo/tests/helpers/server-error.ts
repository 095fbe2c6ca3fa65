import { MongoServerError } from 'mongodb';

/** The error the server answered `work` with; fails the test when it answered without one. */
export async function serverError(work: Promise<unknown>): Promise<MongoServerError> {
  try {
    await work;
  } catch (error) {
    if (error instanceof MongoServerError) return error;
    throw error;
  }
  throw new Error('expected a server error');
}
