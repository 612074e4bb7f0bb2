import { existsSync, readFileSync } from 'node:fs';
import { appendFile, open, readdir, statfs, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describeWithSmallFilesystem, mountSmallFilesystem, type SmallFilesystem } from '../support/tmpfs';

const SIZE = 4 * 1024 * 1024;
const TMPFS_MAGIC = 0x01021994;

/** Mount points of this process's mount namespace, from /proc/self/mountinfo (field 5). */
function mountPoints(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ')[4] ?? '');
}

async function writeError(write: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await write();
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code;
  }
}

describeWithSmallFilesystem('a small tmpfs for full-disk tests', SIZE, (filesystem) => {
  it('is a tmpfs of the size asked for, mounted on an empty directory of its own', async () => {
    const { dir } = filesystem();
    const stats = await statfs(dir);
    expect(stats.type).toBe(TMPFS_MAGIC);
    expect(stats.blocks * stats.bsize).toBe(SIZE);
    expect(mountPoints()).toContain(dir);
    expect(await readdir(dir)).toEqual([]);
  });

  it('fill() makes writes fail with ENOSPC, and free() makes room again', async () => {
    const { dir, fill, free } = filesystem();
    await fill();
    expect((await statfs(dir)).bfree).toBe(0);
    expect(await writeError(() => writeFile(path.join(dir, 'new-file'), 'x'))).toBe('ENOSPC');
    expect(await writeError(() => appendFile(path.join(dir, '.filler'), 'x'))).toBe('ENOSPC');

    const handle = await open(path.join(dir, 'created-when-full'), 'w');
    try {
      expect(await writeError(() => handle.write(Buffer.alloc(8192)))).toBe('ENOSPC');
    } finally {
      await handle.close();
    }

    await free();
    await writeFile(path.join(dir, 'after-free'), Buffer.alloc(1024 * 1024));
    expect((await statfs(dir)).bfree).toBeGreaterThan(0);
  });

  it('fill() can be called again after free()', async () => {
    const { dir, fill, free } = filesystem();
    await fill();
    expect(await writeError(() => writeFile(path.join(dir, 'again'), 'x'))).toBe('ENOSPC');
    await free();
  });

  it('unmount() removes the mount and its directory, and a second call does nothing', async () => {
    const mounted = await mountSmallFilesystem(64 * 1024);
    if ('unavailable' in mounted) throw new Error(mounted.unavailable);
    const own: SmallFilesystem = mounted;
    await writeFile(path.join(own.dir, 'file'), 'x');
    expect(mountPoints()).toContain(own.dir);
    await own.unmount();
    expect(mountPoints()).not.toContain(own.dir);
    expect(existsSync(own.dir)).toBe(false);
    await expect(own.unmount()).resolves.toBeUndefined();
  });

  it('unmount() still detaches the filesystem while a file on it is open', async () => {
    const mounted = await mountSmallFilesystem(64 * 1024);
    if ('unavailable' in mounted) throw new Error(mounted.unavailable);
    const handle = await open(path.join(mounted.dir, 'held'), 'w');
    try {
      await mounted.unmount();
      expect(mountPoints()).not.toContain(mounted.dir);
      expect(existsSync(mounted.dir)).toBe(false);
    } finally {
      await handle.close();
    }
  });
});
