import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';

/** A benchmark target running in its own process, so its memory and CPU are its own. */
export interface ServerProcess {
  name: string;
  pid: number;
  url: string;
  logFile: string;
  /** CPU time (user + system) the process has used so far, in milliseconds. */
  cpuMs(): number;
  /** Peak resident set size so far (VmHWM), in bytes. */
  peakRssBytes(): number;
  /** SIGTERM (graceful stop), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const running = new Set<ChildProcess>();

/** Kills every child still running; safe to call from an 'exit' handler (synchronous). */
export function killAllChildren(): void {
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  running.clear();
}

/** A port nobody listens on at 127.0.0.1 right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface StartOptions {
  name: string;
  /** Arguments to `node`: the script and its arguments. */
  args: string[];
  env: Record<string, string>;
  logFile: string;
  startTimeoutMs?: number;
}

/**
 * Starts `node <args>` with PORT set to a free port on 127.0.0.1, stdout and stderr to a log
 * file (a pipe nobody reads would block the server's logger), and resolves once the port
 * accepts connections.
 */
export async function startServer(options: StartOptions): Promise<ServerProcess> {
  const port = await freePort();
  const log = openSync(options.logFile, 'w');
  const child = spawn(process.execPath, options.args, {
    env: { ...process.env, ...options.env, HOST: '127.0.0.1', PORT: String(port) },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => running.delete(child));
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${options.name} did not start`);

  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  while (!(await accepts(port))) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${options.name} exited before listening:\n${tail(options.logFile)}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${options.name} did not listen within ${options.startTimeoutMs ?? 30_000} ms:\n${tail(options.logFile)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  return {
    name: options.name,
    pid,
    url: `http://127.0.0.1:${port}`,
    logFile: options.logFile,
    cpuMs: () => processCpuMs(pid),
    peakRssBytes: () => procStatusKiB(pid, 'VmHWM') * 1024,
    stop: async (graceMs = 15_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function procStatusKiB(pid: number, field: string): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((candidate) => candidate.startsWith(`${field}:`));
  return line ? Number(line.replace(/\D+/g, '')) : Number.NaN;
}

/** utime + stime from /proc/<pid>/stat (fields 14 and 15, in clock ticks of 10 ms on Linux). */
function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function tail(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
