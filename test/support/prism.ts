import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { projectRoot } from '../../src/paths';

export interface PrismProcess {
  url: string;
  /** Everything the processes wrote so far. */
  output: string[];
  /** SIGTERM to the whole process group (npm, its shell, Prism), SIGKILL if it lingers. */
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

async function stopGroup(pgid: number): Promise<void> {
  for (const [signal, waitMs] of [['SIGTERM', 5000], ['SIGKILL', 5000]] as const) {
    if (!groupAlive(pgid)) return;
    process.kill(-pgid, signal);
    for (const deadline = Date.now() + waitMs; Date.now() < deadline && groupAlive(pgid); ) await delay(50);
  }
  if (groupAlive(pgid)) throw new Error(`process group ${pgid} survived SIGKILL`);
}

/**
 * Runs a command that starts Prism on `port` in its own process group and resolves once Prism
 * answers HTTP there (any status); on failure the group is stopped first.
 */
export async function startPrism(command: string, args: string[], port: number, env: NodeJS.ProcessEnv = {}): Promise<PrismProcess> {
  const child = spawn(command, args, { cwd: projectRoot, env: { ...process.env, NO_COLOR: '1', ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exited with ${code ?? signal}`));
  const pgid = child.pid;
  if (pgid === undefined) throw new Error(`${command} did not start`);
  const url = `http://127.0.0.1:${port}`;
  try {
    for (const deadline = Date.now() + 30_000; ; await delay(100)) {
      if (exited) throw new Error(`${command} ${args.join(' ')} ${exited} before answering:\n${output.join('')}`);
      if (Date.now() > deadline) throw new Error(`${command} ${args.join(' ')} did not answer in 30 s:\n${output.join('')}`);
      const probe = await fetch(`${url}/`).catch(() => undefined);
      if (probe) {
        await probe.arrayBuffer();
        break;
      }
    }
  } catch (error) {
    await stopGroup(pgid);
    throw error;
  }
  return { url, output, stop: () => stopGroup(pgid) };
}
