/** mongod's error codes for the failures this server can report (src/mongo/base/error_codes.yml). */
export const ErrorCodes = {
  InternalError: 1,
  BadValue: 2,
  NoSuchKey: 4,
  PathNotViable: 28,
  FailedToParse: 9,
  Unauthorized: 13,
  TypeMismatch: 14,
  ProtocolError: 17,
  AuthenticationFailed: 18,
  IllegalOperation: 20,
  InvalidBSON: 22,
  NamespaceNotFound: 26,
  IndexNotFound: 27,
  CursorNotFound: 43,
  MaxTimeMSExpired: 50,
  NamespaceExists: 48,
  CommandNotFound: 59,
  ImmutableField: 66,
  CannotCreateIndex: 67,
  InvalidOptions: 72,
  InvalidNamespace: 73,
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
  ConflictingUpdateOperators: 40,
  UnsupportedOpQueryCommand: 352,
  NotImplemented: 238,
  Location31253: 31253,
  Location31254: 31254,
  Location40324: 40324,
  InvalidPipelineOperator: 168,
  ExceededMemoryLimit: 146,
  MechanismUnavailable: 334,
  BSONObjectTooLarge: 10334,
  Location17217: 17217,
  Location17419: 17419,
  CannotIndexParallelArrays: 171,
  DuplicateKey: 11000,
} as const;

export type ErrorCodeName = keyof typeof ErrorCodes;

const codeNames = new Map<number, string>(
  Object.entries(ErrorCodes).map(([name, code]) => [code, name]),
);

export function codeNameOf(code: number): string {
  return codeNames.get(code) ?? `Location${code}`;
}

/** A command failure reported to the client as `{ ok: 0, errmsg, code, codeName, ...extra }`. */
export class CommandError extends Error {
  readonly code: number;
  readonly codeName: string;
  readonly extra: Record<string, unknown>;

  constructor(codeName: ErrorCodeName, message: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.code = ErrorCodes[codeName];
    this.codeName = codeNameOf(this.code);
    this.extra = extra;
  }

  toReply(): Record<string, unknown> {
    return { ok: 0, errmsg: this.message, code: this.code, codeName: this.codeName, ...this.extra };
  }
}

export function badValue(message: string): CommandError {
  return new CommandError('BadValue', message);
}
