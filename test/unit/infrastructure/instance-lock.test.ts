import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { DataDirectoryInUse, type InstanceLock, type LockHolder, lockDataDirectory } from '../../../src/infrastructure/instance-lock.js';
import { rejectionOf } from '../expect-error.js';

const freshDir = () => mkdtempSync(path.join(tmpdir(), 'instance-lock-'));
const lockFileOf = (dir: string) => path.join(dir, 'instance.lock');
const holderIn = (dir: string) => JSON.parse(readFileSync(lockFileOf(dir), 'utf8')) as LockHolder;

/** The pid of a process that has exited (so is free, and very likely not reused at once). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '0']);
  return child.pid!;
}

function writeLock(dir: string, holder: Partial<LockHolder>): void {
  const full = { pid: 1, host: hostname(), startedAt: '2024-01-01T00:00:00.000Z', token: 'someone-else', ...holder };
  writeFileSync(lockFileOf(dir), JSON.stringify(full));
}

describe('lockDataDirectory (one embedded instance per DATA_DIR)', () => {
  const held: InstanceLock[] = [];
  const take = async (dir: string, stale: Array<LockHolder | null> = []) => {
    const lock = await lockDataDirectory(dir, (holder) => stale.push(holder));
    held.push(lock);
    return lock;
  };
  afterEach(async () => {
    await Promise.all(held.splice(0).map((lock) => lock.release()));
  });

  it('takes DATA_DIR/instance.lock with this pid and host; a second take is DataDirectoryInUse naming the directory and the pid; released, it can be taken again', async () => {
    const dir = freshDir();
    const lock = await take(dir);
    expect(lock.file).to.equal(lockFileOf(dir));
    expect(holderIn(dir)).to.include({ pid: process.pid, host: hostname() });

    const refused = await rejectionOf(take(dir));
    expect(refused).to.be.instanceOf(DataDirectoryInUse);
    expect((refused as Error).message).to.include(dir).and.include(`pid ${process.pid}`);
    expect((refused as Error).message).not.to.include('\n');

    await lock.release();
    expect(existsSync(lockFileOf(dir))).to.equal(false);
    await lock.release(); // twice is harmless
    await take(dir);
    expect(holderIn(dir).pid).to.equal(process.pid);
  });

  it('a lock held by another running process is refused, whatever its age', async () => {
    const dir = freshDir();
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      writeLock(dir, { pid: other.pid! });
      const refused = await rejectionOf(take(dir));
      expect(refused).to.be.instanceOf(DataDirectoryInUse);
      expect((refused as Error).message).to.include(`pid ${other.pid}`).and.include(dir);
      expect(holderIn(dir).pid, 'left as it was').to.equal(other.pid);
    } finally {
      other.kill('SIGKILL');
    }
  });

  it('a stale lock (its process is gone) is taken over, and whoever started is told which one', async () => {
    const dir = freshDir();
    const gone = deadPid();
    writeLock(dir, { pid: gone });
    const stale: Array<LockHolder | null> = [];
    await take(dir, stale);
    expect(holderIn(dir)).to.include({ pid: process.pid });
    expect(stale.map((h) => h?.pid)).to.deep.equal([gone]);
  });

  it('a lock with this very pid that this process does not hold (a container restarted as pid 1) is stale', async () => {
    const dir = freshDir();
    writeLock(dir, { pid: process.pid, token: 'an-earlier-life' });
    const stale: Array<LockHolder | null> = [];
    await take(dir, stale);
    expect(holderIn(dir).token).not.to.equal('an-earlier-life');
    expect(stale).to.have.length(1);
  });

  it('a lock from another host is refused (its pid means nothing here), saying which file to delete if that instance is gone', async () => {
    const dir = freshDir();
    writeLock(dir, { pid: deadPid(), host: 'another-host' });
    const refused = await rejectionOf(take(dir));
    expect(refused).to.be.instanceOf(DataDirectoryInUse);
    expect((refused as Error).message).to.include('another-host').and.include(`delete ${lockFileOf(dir)}`);
  });

  it('an unreadable lock file (the service never leaves one half-written) is stale: taken over', async () => {
    const dir = freshDir();
    writeFileSync(lockFileOf(dir), '');
    const stale: Array<LockHolder | null> = [];
    await take(dir, stale);
    expect(holderIn(dir).pid).to.equal(process.pid);
    expect(stale).to.deep.equal([null]);
  });

  it('release leaves alone a lock that is no longer its own', async () => {
    const dir = freshDir();
    const lock = await take(dir);
    writeLock(dir, { pid: deadPid(), token: 'taken-over-since' });
    await lock.release();
    expect(holderIn(dir).token).to.equal('taken-over-since');
  });

  for (const state of ['no lock', 'a stale lock'] as const) {
    it(`200 starts at once on ${state}: exactly one takes it, the others are refused`, async () => {
      const dir = freshDir();
      if (state === 'a stale lock') writeLock(dir, { pid: deadPid() });
      const outcomes = await Promise.allSettled(Array.from({ length: 200 }, () => take(dir)));
      const taken = outcomes.filter((o): o is PromiseFulfilledResult<InstanceLock> => o.status === 'fulfilled');
      expect(taken).to.have.length(1);
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') expect(outcome.reason).to.be.instanceOf(DataDirectoryInUse);
      }
      expect(holderIn(dir).pid).to.equal(process.pid);
      await taken[0]!.value.release();
      expect(existsSync(lockFileOf(dir))).to.equal(false);
    });
  }
});
