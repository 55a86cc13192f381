import { randomUUID } from 'node:crypto';
import { link, open, readFile, stat, unlink, writeFile } from 'node:fs/promises';
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
 * Takes `dir/instance.lock` for this process. The file appears whole or not at all (written under
 * a name of its own, then hard-linked into place, which fails if the name exists), so that of two
 * starts exactly one gets it and nobody ever reads a half-written lock. A lock whose process is
 * gone (checked by pid, on this host only) is stale: it is taken over under a short takeover lock
 * (`instance.lock.takeover`), which makes "it still holds what I judged stale, so delete it" one
 * step among the starts taking over, then `onStaleLock` is told and the lock taken anew. A live
 * holder, or one on another host (its pid means nothing here), is `DataDirectoryInUse`. The
 * directory must exist.
 */
export async function lockDataDirectory(dir: string, onStaleLock: (stale: LockHolder | null, file: string) => void): Promise<InstanceLock> {
  const file = path.join(dir, LOCK_FILE);
  const mine: LockHolder = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), token: randomUUID() };
  for (let attempt = 0; attempt < 100; attempt++) {
    // Counted as held here before the file can be seen: another start in this process reading it
    // at once must find it alive.
    heldHere.add(mine.token);
    if (await createExclusive(file, mine)) return lockOf(file, mine.token);
    heldHere.delete(mine.token);
    const seen = await readText(file);
    if (seen === null) continue; // released (or taken over) since: try again
    // Unreadable: not a lock this service wrote whole (it never leaves a half-written one), so stale.
    const holder = parse(seen);
    if (holder !== null && holder.host !== mine.host) throw new DataDirectoryInUse(dir, holder, false);
    if (holder !== null && isAlive(holder)) throw new DataDirectoryInUse(dir, holder, true);
    const removed = await underTakeoverLock(file, async () => {
      // Another start may have taken it over since it was read: then it is not this stale lock.
      if ((await readText(file)) !== seen) return false;
      await unlink(file).catch((error: unknown) => {
        if (!isCode(error, 'ENOENT')) throw error;
      });
      return true;
    });
    if (removed) onStaleLock(holder, file);
    else await sleep(5 + Math.floor(Math.random() * 20)); // another start is taking it over: look again once it is done
  }
  throw new Error(`could not take the lock ${file}: it keeps changing hands`);
}

/**
 * Runs `work` holding `<lock>.takeover` (taken with O_EXCL; null when another start holds it). A
 * takeover lock older than TAKEOVER_ABANDONED_MS was left by a start that died while taking over
 * (a takeover takes milliseconds): it is removed, and the next try takes it.
 */
async function underTakeoverLock<T>(file: string, work: () => Promise<T>): Promise<T | null> {
  const takeover = `${file}.takeover`;
  try {
    await (await open(takeover, 'wx', 0o644)).close();
  } catch (error) {
    if (!isCode(error, 'EEXIST')) throw error;
    const since = await stat(takeover).then(
      (s) => Date.now() - s.mtimeMs,
      () => null,
    );
    if (since !== null && since > TAKEOVER_ABANDONED_MS) await unlink(takeover).catch(() => undefined);
    return null;
  }
  try {
    return await work();
  } finally {
    await unlink(takeover).catch(() => undefined);
  }
}

const TAKEOVER_ABANDONED_MS = 10_000;

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

/** Whole or not at all: written under a name of its own, then linked into place (EEXIST: someone holds it). */
async function createExclusive(file: string, holder: LockHolder): Promise<boolean> {
  const draft = `${file}.${holder.token}`;
  await writeFile(draft, `${JSON.stringify(holder)}\n`, { encoding: 'utf8', flag: 'wx', mode: 0o644 });
  try {
    await link(draft, file);
    return true;
  } catch (error) {
    if (isCode(error, 'EEXIST')) return false;
    throw error;
  } finally {
    await unlink(draft).catch(() => undefined);
  }
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
