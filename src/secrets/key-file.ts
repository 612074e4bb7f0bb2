import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { SECRET_KEY_BYTES } from './secret-box';

/**
 * The key that seals companies' Qvickly secrets lives in its own file (SECRETS_KEY_FILE), never
 * in the database: one line, 32 random bytes in standard base64 (44 characters), a trailing
 * newline allowed, readable by its owner only.
 */

export type KeyFileProblem = 'missing' | 'unreadable' | 'not-a-file' | 'permissions' | 'not-base64' | 'length' | 'unwritable';

export class KeyFileError extends Error {
  override readonly name = 'KeyFileError';
  constructor(
    readonly problem: KeyFileProblem,
    readonly file: string,
    message: string,
  ) {
    super(message);
  }
}

const KEY_TEXT_LENGTH = 44;
/** Anything longer is not a key file; refuse it without reading it all. */
const MAX_FILE_BYTES = 1024;

/** A new key as its file's line (44 base64 characters, without the newline). */
export function generateKey(): string {
  return randomBytes(SECRET_KEY_BYTES).toString('base64');
}

/**
 * The first 8 hex digits of the key's SHA-256: tells which key a store was sealed with without
 * revealing it. The same as `base64 -d < keyfile | sha256sum | cut -c1-8`.
 */
export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

export function readKeyFile(file: string): Buffer {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO in the key file's place must not hang the start-up.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw openError(file, error);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new KeyFileError('not-a-file', file, `the secrets key file ${file} is not a regular file`);
    const mode = stat.mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new KeyFileError(
        'permissions',
        file,
        `the secrets key file ${file} can be read or changed by users other than its owner (mode ${mode.toString(8).padStart(4, '0')}); run: chmod 600 ${file}`,
      );
    }
    if (stat.size > MAX_FILE_BYTES) throw lengthError(file, `is ${stat.size} bytes long`);
    const buffer = Buffer.alloc(MAX_FILE_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    if (length > MAX_FILE_BYTES) throw lengthError(file, `is more than ${MAX_FILE_BYTES} bytes long`);
    return parseKey(file, buffer.subarray(0, length).toString('latin1'));
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads the key file, creating it with a new key first if there is none (the embedded SQLite
 * default, where no setting is given). The file appears complete or not at all: the key is
 * written and fsync'd under a temporary name, then hard-linked to its name, which fails if
 * another process got there first (then that process's key is the one read and returned).
 */
export function ensureKeyFile(file: string): Buffer {
  try {
    return readKeyFile(file);
  } catch (error) {
    if (!(error instanceof KeyFileError && error.problem === 'missing')) throw error;
  }
  createKeyFile(file);
  return readKeyFile(file);
}

function createKeyFile(file: string): void {
  const directory = path.dirname(path.resolve(file));
  const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    const fd = openSync(temporary, 'wx', 0o600);
    try {
      fchmodSync(fd, 0o600); // whatever the umask
      writeSync(fd, `${generateKey()}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(temporary, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    syncDirectory(directory);
  } catch (error) {
    throw new KeyFileError('unwritable', file, `cannot create the secrets key file ${file}: ${(error as Error).message}`);
  } finally {
    try {
      unlinkSync(temporary);
    } catch {
      // never created, or already gone
    }
  }
}

/** Makes the new directory entry durable: a key lost in a crash would make every sealed secret unreadable. */
function syncDirectory(directory: string): void {
  const fd = openSync(directory, constants.O_RDONLY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function parseKey(file: string, content: string): Buffer {
  const text = content.replace(/\r?\n$/, '');
  if (text.length === 0) throw lengthError(file, 'is empty');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) {
    throw new KeyFileError(
      'not-base64',
      file,
      `the secrets key file ${file} does not hold one line of standard base64 (A-Z a-z 0-9 + /, = padding, ${KEY_TEXT_LENGTH} characters)`,
    );
  }
  const key = Buffer.from(text, 'base64');
  if (key.toString('base64') !== text) {
    throw new KeyFileError('not-base64', file, `the secrets key file ${file} does not hold valid base64 (wrong length or padding)`);
  }
  if (key.length !== SECRET_KEY_BYTES) throw lengthError(file, `holds a ${key.length}-byte key`);
  return key;
}

function lengthError(file: string, what: string): KeyFileError {
  return new KeyFileError(
    'length',
    file,
    `the secrets key file ${file} ${what}; it must hold a ${SECRET_KEY_BYTES}-byte key: one line of ${KEY_TEXT_LENGTH} base64 characters`,
  );
}

function openError(file: string, error: unknown): KeyFileError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new KeyFileError('missing', file, `the secrets key file ${file} does not exist`);
  return new KeyFileError('unreadable', file, `cannot read the secrets key file ${file}: ${(error as Error).message}`);
}
