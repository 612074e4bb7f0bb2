import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { builtCli } from '../support/processes';

describe('a service whose log reader went away', () => {
  it('still stops on SIGTERM with exit code 0', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'qvickly-ipn-epipe-'));
    const child = spawn(process.execPath, [builtCli, 'serve'], {
      env: { ...process.env, HOST: '127.0.0.1', PORT: '0', DATABASE_URL: `sqlite:${path.join(dir, 'store.sqlite')}` },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await once(child.stdout, 'data');
      child.stdout.destroy(); // like `qvickly-ipn serve | head -c 1`: every later log write gets EPIPE
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('no exit within 5 s')), 5000));
      const [code] = (await Promise.race([exited, timeout])) as [number | null];
      expect(code).toBe(0);
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
