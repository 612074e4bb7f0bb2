import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from '../../src/paths';

/** The built CLI (`npm run build` first). */
export const builtCli = path.join(projectRoot, 'dist', 'src', 'cli', 'main.js');

export interface ServiceProcess {
  child: ChildProcess;
  url: string;
  /** The lines the process wrote to stdout and stderr so far (the last `keepLines` of them). */
  output: string[];
  /** Resolves when the process has exited, with its exit code. */
  exited: Promise<number | null>;
  /** SIGTERM, then wait for exit (SIGKILL after `graceMs`); resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
  /** SIGKILL: no shutdown, no flush. */
  kill(): Promise<void>;
}

export interface ServiceProcessOptions {
  timeoutMs?: number;
  /** How many of the latest output lines to keep (default: all). */
  keepLines?: number;
  /** Called with the child as soon as it is spawned, before it listens (to kill it on the way out). */
  onSpawn?: (child: ChildProcess) => void;
}

/**
 * Starts the built service as `qvickly-ipn serve` on a free port of 127.0.0.1 and resolves once
 * it logs that it listens. Every line it writes is read (a full pipe would block the service).
 * Used by the end-to-end tests, the crash test and the two-instance tests alike.
 */
export function startServiceProcess(env: Record<string, string>, options: ServiceProcessOptions = {}): Promise<ServiceProcess> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  const keepLines = options.keepLines ?? Number.POSITIVE_INFINITY;
  const child = spawn(process.execPath, [builtCli, 'serve'], {
    cwd: projectRoot,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  options.onSpawn?.(child);
  const output: string[] = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async (graceMs = 15_000): Promise<number | null> => {
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const code = await exited;
    clearTimeout(killer);
    return code;
  };
  const kill = async (): Promise<void> => {
    child.kill('SIGKILL');
    await exited;
  };
  return new Promise((resolve, reject) => {
    let listening = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the service did not start in ${timeoutMs} ms:\n${output.join('\n')}`));
    }, timeoutMs);
    const onLine = (line: string): void => {
      output.push(line);
      if (output.length > keepLines) output.shift();
      if (listening || !line.includes('qvickly-ipn listening')) return;
      listening = true;
      clearTimeout(timer);
      resolve({ child, url: (JSON.parse(line) as { url: string }).url, output, exited, stop, kill });
    };
    for (const stream of [child.stdout, child.stderr]) {
      let buffered = '';
      stream?.on('data', (chunk: Buffer) => {
        const lines = (buffered + chunk.toString('utf8')).split('\n');
        buffered = lines.pop() ?? '';
        lines.forEach(onLine);
      });
    }
    void exited.then((code) => {
      clearTimeout(timer);
      if (!listening) reject(new Error(`the service exited with ${code} before listening:\n${output.join('\n')}`));
    });
  });
}
