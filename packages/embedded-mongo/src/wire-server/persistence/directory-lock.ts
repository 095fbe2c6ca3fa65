import fs from 'node:fs';
import path from 'node:path';

export const lockFileName = 'wire-server.lock';

/** Another live process holds the data directory. */
export class DataDirectoryInUseError extends Error {}

// Not `instanceof Error`: errors from Node's own modules fail it inside Jest's sandbox.
function isErrorCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === code;
}

/** The pid a lock file names: 'missing' when there is no file, undefined when it is garbled. */
function readHolder(file: string): number | 'missing' | undefined {
  let content: string;
  try {
    content = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if (isErrorCode(error, 'ENOENT')) return 'missing';
    throw error;
  }
  const pid = Number(content.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return !isErrorCode(error, 'ESRCH');
  }
}

function inUse(directory: string, file: string, pid: number): DataDirectoryInUseError {
  return new DataDirectoryInUseError(
    `the data directory ${directory} is in use by process ${pid} (lock file ${file}). Stop that ` +
      'process or choose another directory; if process ' +
      `${pid} is something else that took a dead server's pid, delete the lock file.`,
  );
}

/**
 * Creates the lock file with our pid in one step: written under a temporary name, then linked to
 * the lock's name, which fails when the lock exists. A reader never sees a half-written lock.
 */
function tryCreate(file: string): boolean {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${process.pid}\n`);
  try {
    fs.linkSync(temporary, file);
    return true;
  } catch (error) {
    if (isErrorCode(error, 'EEXIST')) return false;
    throw error;
  } finally {
    fs.rmSync(temporary, { force: true });
  }
}

/**
 * Moves a lock whose process is dead out of the way. Two processes may find the same stale lock
 * at once: the rename is atomic, and whoever finds a live pid in what it moved has taken a fresh
 * lock by mistake and links it back.
 */
function removeStale(directory: string, file: string, stalePid: number | undefined): void {
  const moved = `${file}.stale.${process.pid}`;
  try {
    fs.renameSync(file, moved);
  } catch (error) {
    if (isErrorCode(error, 'ENOENT')) return;
    throw error;
  }
  const movedPid = readHolder(moved);
  if (movedPid !== stalePid && typeof movedPid === 'number' && isRunning(movedPid)) {
    try {
      fs.linkSync(moved, file);
    } finally {
      fs.rmSync(moved, { force: true });
    }
    throw inUse(directory, file, movedPid);
  }
  fs.rmSync(moved, { force: true });
}

/**
 * Takes the data directory for this process, or throws DataDirectoryInUseError naming the process
 * that holds it. A lock left by a process that no longer runs (kill -9, a crash, a power cut) is
 * taken over, and `log` says so. Returns the function that lets the directory go.
 */
export function lockDataDirectory(directory: string, log: (message: string) => void): () => void {
  const file = path.join(directory, lockFileName);
  for (let attempt = 0; attempt < 3; attempt++) {
    if (tryCreate(file)) return () => releaseLock(file);
    const holder = readHolder(file);
    // Let go between our attempt and this read: try again.
    if (holder === 'missing') continue;
    if (holder !== undefined && isRunning(holder)) throw inUse(directory, file, holder);
    log(
      holder === undefined
        ? `taking over ${file}, which names no process`
        : `taking over ${file}: process ${holder}, which held it, is no longer running`,
    );
    removeStale(directory, file, holder);
  }
  throw new DataDirectoryInUseError(
    `could not lock the data directory ${directory}: other processes keep taking ${file}`,
  );
}

function releaseLock(file: string): void {
  if (readHolder(file) === process.pid) fs.rmSync(file, { force: true });
}
