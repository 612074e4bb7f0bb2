import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { mkdtemp, open, rm, rmdir, statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

/**
 * A real, small filesystem for full-disk tests: a tmpfs of a given size mounted on a fresh
 * directory (needs root, or CAP_SYS_ADMIN in a container). Where it cannot be mounted, a test
 * is skipped loudly, or fails when REQUIRE_TMPFS=1 (CI sets it).
 *
 * Use it through describeWithSmallFilesystem, which mounts before the suite's own hooks and
 * unmounts after them, whether the tests passed or not:
 *
 *   describeWithSmallFilesystem('the SQLite store on a full disk', 4 * 1024 * 1024, (filesystem) => {
 *     it('answers 503 and stores nothing', async () => {
 *       const { dir, fill, free } = filesystem();
 *       ... open a store under dir ...
 *       await fill();   // every further write of a new block fails with ENOSPC
 *       ...
 *       await free();   // room again
 *     });
 *   });
 *
 * Or call mountSmallFilesystem yourself and unmount in afterAll (it runs when tests fail too):
 *
 *   let filesystem: SmallFilesystem | undefined;
 *   beforeAll(async () => {
 *     const mounted = await mountSmallFilesystem(4 * 1024 * 1024);
 *     if ('unavailable' in mounted) throw new Error(mounted.unavailable);
 *     filesystem = mounted;
 *   });
 *   afterAll(async () => filesystem?.unmount());
 *
 * Whatever is still mounted when the process exits is unmounted then (lazily), as a last resort.
 */

export interface SmallFilesystem {
  /** The mount point: an empty directory of its own. */
  readonly dir: string;
  /** Writes a filler file until the filesystem is full: the next write needing a new block fails with ENOSPC. */
  fill(): Promise<void>;
  /** Removes the filler file. */
  free(): Promise<void>;
  /** Unmounts and removes the directory; safe to call twice. Close files under `dir` first, or the unmount is lazy. */
  unmount(): Promise<void>;
}

export type SmallFilesystemUnavailable = { readonly unavailable: string };

const run = promisify(execFile);
const TMPFS_MAGIC = 0x01021994;
const FILLER = '.filler';

/** Mounted by this process and not yet unmounted, for the exit hook. */
const mounted = new Set<string>();
let exitHookInstalled = false;

export async function mountSmallFilesystem(sizeBytes: number): Promise<SmallFilesystem | SmallFilesystemUnavailable> {
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0) throw new RangeError(`sizeBytes must be a positive integer, got ${sizeBytes}`);
  const dir = await mkdtemp(path.join(tmpdir(), 'qvickly-ipn-tmpfs-'));
  try {
    await run('mount', mountArguments(sizeBytes, dir));
  } catch (error) {
    await rmdir(dir).catch(() => undefined);
    return { unavailable: mountFailure(error) };
  }
  mounted.add(dir);
  installExitHook();
  const filesystem = smallFilesystem(dir);
  const { type } = await statfs(dir);
  if (type !== TMPFS_MAGIC) {
    await filesystem.unmount();
    return { unavailable: `mount succeeded but ${dir} is not a tmpfs (filesystem type 0x${type.toString(16)})` };
  }
  return filesystem;
}

function smallFilesystem(dir: string): SmallFilesystem {
  const filler = path.join(dir, FILLER);
  return {
    dir,
    fill: () => fillUp(filler),
    free: () => rm(filler, { force: true }),
    async unmount() {
      if (!mounted.has(dir)) return;
      try {
        await run('umount', [dir]);
      } catch {
        // Something under dir is still open: detach now, the kernel frees it when that closes.
        await run('umount', ['--lazy', dir]);
      }
      mounted.delete(dir);
      await rmdir(dir);
    },
  };
}

/** Writes ever smaller chunks until even one byte does not fit, so no partial block is left over. */
async function fillUp(filler: string): Promise<void> {
  const handle = await open(filler, 'a');
  try {
    for (const size of [1 << 20, 1 << 16, 1 << 12, 1]) {
      const chunk = Buffer.alloc(size, 0x2e);
      for (;;) {
        try {
          await handle.write(chunk);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw error;
        }
      }
    }
  } finally {
    await handle.close();
  }
}

function mountArguments(sizeBytes: number, dir: string): string[] {
  return ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0700`, 'tmpfs', dir];
}

function mountFailure(error: unknown): string {
  const { code, stderr, message } = error as NodeJS.ErrnoException & { stderr?: string };
  if (code === 'ENOENT') return 'the mount command is not installed';
  const detail = ((stderr ?? '').trim().split('\n')[0] || message).replace(/\.$/, '');
  const who = process.getuid?.() === 0 ? 'as root' : `as uid ${process.getuid?.()} (not root)`;
  return `cannot mount a tmpfs ${who}: ${detail}`;
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const dir of mounted) {
      spawnSync('umount', ['--lazy', dir]);
      try {
        rmdirSync(dir);
      } catch {
        // left for the operator; named qvickly-ipn-tmpfs-* in the temporary directory
      }
    }
  });
}

let probed: { reason: string | undefined } | undefined;

/**
 * Why a tmpfs cannot be mounted here, or undefined when it can: found once per process by
 * mounting and unmounting a tiny one. Synchronous, because jest decides at collection time
 * whether a suite runs.
 */
export function smallFilesystemUnavailable(): string | undefined {
  if (probed) return probed.reason;
  const dir = mkdtempSync(path.join(tmpdir(), 'qvickly-ipn-tmpfs-probe-'));
  try {
    const mount = spawnSync('mount', mountArguments(64 * 1024, dir), { encoding: 'utf8' });
    if (mount.error) probed = { reason: mountFailure(mount.error) };
    else if (mount.status !== 0) probed = { reason: mountFailure({ stderr: mount.stderr, message: `mount exited with ${mount.status}` }) };
    else {
      spawnSync('umount', [dir]);
      probed = { reason: undefined };
    }
  } finally {
    try {
      rmdirSync(dir);
    } catch {
      spawnSync('umount', ['--lazy', dir]);
      rmdirSync(dir);
    }
  }
  return probed.reason;
}

/**
 * describe() with a tmpfs of `sizeBytes` mounted before the suite's own hooks run and unmounted
 * after them, pass or fail. Where no tmpfs can be mounted, the suite is skipped with a warning
 * and a title saying SKIPPED, unless REQUIRE_TMPFS=1, which makes it fail instead.
 */
export function describeWithSmallFilesystem(title: string, sizeBytes: number, body: (filesystem: () => SmallFilesystem) => void): void {
  const reason = smallFilesystemUnavailable();
  if (reason !== undefined) {
    if (process.env.REQUIRE_TMPFS === '1') {
      describe(title, () => {
        it('needs a tmpfs (REQUIRE_TMPFS=1)', () => {
          throw new Error(`${reason} (REQUIRE_TMPFS=1 makes this an error)`);
        });
      });
      return;
    }
    console.warn(`\n*** SKIPPED "${title}": ${reason}. Set REQUIRE_TMPFS=1 to make this an error.\n`);
    describe.skip(`SKIPPED (no tmpfs: ${reason}): ${title}`, () =>
      body(() => {
        throw new Error('no tmpfs');
      }),
    );
    return;
  }
  describe(title, () => {
    let filesystem: SmallFilesystem | undefined;
    beforeAll(async () => {
      const result = await mountSmallFilesystem(sizeBytes);
      if ('unavailable' in result) throw new Error(result.unavailable);
      filesystem = result;
    });
    body(() => {
      if (!filesystem) throw new Error('the tmpfs is not mounted (did its beforeAll fail?)');
      return filesystem;
    });
    // Declared after the suite's own hooks, so it runs after theirs (jest-circus runs afterAll in declaration order).
    afterAll(async () => {
      await filesystem?.unmount();
    });
  });
}
