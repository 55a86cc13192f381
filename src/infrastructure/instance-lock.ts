import { randomUUID } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';

/** What a lock file holds: who took it, and a token only that start knows. */
export interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
  token: string;
}

/** A second start on a data directory another instance holds: the one line main prints. */
export class DataDirectoryInUse extends Error {
  constructor(
    readonly dir: string,
    readonly holder: LockHolder,
    sameHost: boolean,
  ) {
    const file = path.join(dir, LOCK_FILE);
    super(
      sameHost
        ? `the data directory ${dir} is in use by another instance (pid ${holder.pid}, since ${holder.startedAt}): two embedded databases on one directory lose data; stop that one first, or give this one a DATA_DIR of its own (lock file ${file})`
        : `the data directory ${dir} is in use by another instance (pid ${holder.pid} on host ${holder.host}, since ${holder.startedAt}), which this host cannot check: if it no longer runs, delete ${file}; else give this one a DATA_DIR of its own`,
    );
  }
}

export interface InstanceLock {
  readonly file: string;
  /** Deletes the lock file if it is still this start's; idempotent. */
  release(): Promise<void>;
}

export const LOCK_FILE = 'instance.lock';

/** Tokens of the locks this process holds: its own pid in a lock file is stale unless it is one of them. */
const heldHere = new Set<string>();

/**
 * Takes `dir/instance.lock` for this process, created with O_EXCL so that of two starts exactly one
 * gets it. A lock whose process is gone (checked by pid, on this host only) is stale: it is moved
 * aside atomically (so of two starts taking over, one does) and `onStaleLock` is told, then taken
 * anew. A live holder, or one on another host (its pid means nothing here), is
 * `DataDirectoryInUse`. The directory must exist.
 */
export async function lockDataDirectory(dir: string, onStaleLock: (stale: LockHolder | null, file: string) => void): Promise<InstanceLock> {
  const file = path.join(dir, LOCK_FILE);
  const mine: LockHolder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), token: randomUUID() };
  for (let attempt = 0; attempt < 10; attempt++) {
    if (await createExclusive(file, mine)) {
      heldHere.add(mine.token);
      return lockOf(file, mine.token);
    }
    const seen = await readText(file);
    if (seen === null) continue; // released (or moved aside) since: try again
    const holder = parse(seen);
    if (holder === null && attempt < 5) {
      // Created but not yet written (the holder is between open and write), or left so by a crash:
      // give a starting holder a moment before calling it stale.
      await sleep(20 * (attempt + 1));
      continue;
    }
    if (holder !== null && holder.host !== mine.host) throw new DataDirectoryInUse(dir, holder, false);
    if (holder !== null && isAlive(holder)) throw new DataDirectoryInUse(dir, holder, true);
    // Stale: move it aside, then check what was moved is what was judged stale. If another start
    // took it over in between, what was moved is that start's live lock: put it back.
    const aside = `${file}.stale-${mine.token}`;
    try {
      await rename(file, aside);
    } catch (error) {
      if (isCode(error, 'ENOENT')) continue;
      throw error;
    }
    const moved = await readText(aside);
    if (moved !== seen) {
      await rename(aside, file);
      continue;
    }
    await unlink(aside);
    onStaleLock(holder, file);
  }
  throw new Error(`could not take the lock ${file}: it keeps changing hands`);
}

function lockOf(file: string, token: string): InstanceLock {
  let released: Promise<void> | null = null;
  return {
    file,
    release() {
      released ??= (async () => {
        heldHere.delete(token);
        // Only our own: a lock taken over (after this one was judged stale) is another's.
        if (parse((await readText(file)) ?? '')?.token === token) await unlink(file).catch(() => undefined);
      })();
      return released;
    },
  };
}

async function createExclusive(file: string, holder: LockHolder): Promise<boolean> {
  let handle;
  try {
    handle = await open(file, 'wx', 0o644);
  } catch (error) {
    if (isCode(error, 'EEXIST')) return false;
    throw error;
  }
  try {
    await handle.writeFile(`${JSON.stringify(holder)}\n`, 'utf8');
  } finally {
    await handle.close();
  }
  return true;
}

async function readText(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if (isCode(error, 'ENOENT')) return null;
    throw error;
  }
}

function parse(text: string): LockHolder | null {
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    if (Number.isInteger(value.pid) && (value.pid ?? 0) > 0 && typeof value.host === 'string' && typeof value.startedAt === 'string' && typeof value.token === 'string') {
      return value as LockHolder;
    }
  } catch {
    // not a lock this service wrote
  }
  return null;
}

/** Whether the holder still runs. Our own pid is another life of this pid (a container's pid 1), unless this process holds it. */
function isAlive(holder: LockHolder): boolean {
  if (holder.pid === process.pid) return heldHere.has(holder.token);
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return !isCode(error, 'ESRCH');
  }
}

function isCode(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === code;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
