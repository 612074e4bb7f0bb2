import { createHash, randomBytes } from 'node:crypto';
import fs, { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ensureKeyFile, generateKey, keyId, KeyFileError, readKeyFile, type KeyFileProblem } from '../../src/secrets/key-file';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'qvickly-ipn-key-'));
});
afterEach(() => {
  jest.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

function keyFile(content: string | Buffer, mode = 0o600, name = 'secrets.key'): string {
  const file = path.join(dir, name);
  writeFileSync(file, content, { mode });
  chmodSync(file, mode);
  return file;
}

function refusal(read: () => unknown): { problem: KeyFileProblem; message: string } {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(KeyFileError);
    return { problem: (error as KeyFileError).problem, message: (error as Error).message };
  }
  throw new Error('the key file was accepted');
}

describe('generating a key', () => {
  it('is one line of 44 standard base64 characters holding 32 random bytes', () => {
    const line = generateKey();
    expect(line).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(line, 'base64')).toHaveLength(32);
    expect(generateKey()).not.toBe(line);
  });
});

describe('the key id', () => {
  it('is the first 8 hex digits of the SHA-256 of the key, and says nothing else about it', () => {
    const key = Buffer.alloc(32, 7);
    expect(keyId(key)).toBe(createHash('sha256').update(key).digest('hex').slice(0, 8));
    expect(keyId(key)).toMatch(/^[0-9a-f]{8}$/);
    expect(keyId(randomBytes(32))).not.toBe(keyId(key));
  });
});

describe('reading the key file', () => {
  const line = generateKey();
  const key = Buffer.from(line, 'base64');

  it.each([
    ['with a trailing newline', `${line}\n`],
    ['without one', line],
    ['with a CRLF line end', `${line}\r\n`],
  ])('reads a 0600 file %s', (_title, content) => {
    expect(readKeyFile(keyFile(content)).equals(key)).toBe(true);
  });

  it('accepts 0400 too, and a symlink to a 0600 file (as Kubernetes mounts secrets)', () => {
    expect(readKeyFile(keyFile(line, 0o400)).equals(key)).toBe(true);
    const target = keyFile(line, 0o600, 'target.key');
    symlinkSync(target, path.join(dir, 'link.key'));
    expect(readKeyFile(path.join(dir, 'link.key')).equals(key)).toBe(true);
  });

  it.each([0o644, 0o640, 0o604, 0o620, 0o602, 0o610, 0o601, 0o666])('refuses mode %o with a message saying to chmod 600', (mode) => {
    const file = keyFile(line, mode);
    const { problem, message } = refusal(() => readKeyFile(file));
    expect(problem).toBe('permissions');
    expect(message).toBe(
      `the secrets key file ${file} can be read or changed by users other than its owner (mode 0${mode.toString(8)}); run: chmod 600 ${file}`,
    );
  });

  it('says a missing file is missing', () => {
    const file = path.join(dir, 'absent.key');
    expect(refusal(() => readKeyFile(file))).toEqual({ problem: 'missing', message: `the secrets key file ${file} does not exist` });
  });

  it('refuses a directory', () => {
    const sub = path.join(dir, 'sub');
    mkdirSync(sub, { mode: 0o700 });
    expect(refusal(() => readKeyFile(sub)).problem).toBe('not-a-file');
  });

  it.each([
    ['empty', '', 'length', /is empty; it must hold a 32-byte key: one line of 44 base64 characters/],
    ['a newline only', '\n', 'length', /is empty/],
    ['a 16-byte key', randomBytes(16).toString('base64'), 'length', /holds a 16-byte key; it must hold a 32-byte key/],
    ['a 33-byte key', randomBytes(33).toString('base64'), 'length', /holds a 33-byte key/],
    ['a 64-byte key', `${randomBytes(64).toString('base64')}\n`, 'length', /holds a 64-byte key/],
    ['base64url', Buffer.alloc(32, 0xfb).toString('base64url'), 'not-base64', /does not hold one line of standard base64/],
    ['hex', randomBytes(32).toString('hex'), 'length', /holds a 48-byte key/],
    ['missing padding', line.slice(0, 43), 'not-base64', /wrong length or padding/],
    ['a second line', `${line}\n${line}\n`, 'not-base64', /one line/],
    ['two newlines', `${line}\n\n`, 'not-base64', /one line/],
    ['leading space', ` ${line}`, 'not-base64', /standard base64/],
    ['a passphrase', 'correct horse battery staple', 'not-base64', /standard base64/],
    ['a huge file', 'A'.repeat(5000), 'length', /is 5000 bytes long/],
  ])('refuses a file holding %s', (_title, content, problem, message) => {
    const refused = refusal(() => readKeyFile(keyFile(content)));
    expect(refused.problem).toBe(problem);
    expect(refused.message).toMatch(message);
  });

  it('never puts the file content in the message', () => {
    const content = randomBytes(31).toString('base64');
    expect(refusal(() => readKeyFile(keyFile(content))).message).not.toContain(content);
  });
});

describe('ensuring the key file exists (the embedded SQLite default)', () => {
  it('creates it with mode 0600, one line, in a directory that may not exist yet, and returns its key', () => {
    const file = path.join(dir, 'data', 'secrets.key');
    const key = ensureKeyFile(file);
    expect(key).toHaveLength(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'latin1')).toBe(`${key.toString('base64')}\n`);
    expect(readdirSync(path.dirname(file))).toEqual(['secrets.key']);
  });

  it('creates it 0600 even with a permissive umask', () => {
    const previous = process.umask(0);
    try {
      const file = path.join(dir, 'secrets.key');
      ensureKeyFile(file);
      expect(statSync(file).mode & 0o777).toBe(0o600);
    } finally {
      process.umask(previous);
    }
  });

  it('returns the existing key the next time, and never replaces it', () => {
    const file = path.join(dir, 'secrets.key');
    const first = ensureKeyFile(file);
    expect(ensureKeyFile(file).equals(first)).toBe(true);
    expect(readKeyFile(file).equals(first)).toBe(true);
  });

  it('does not touch an existing file it refuses', () => {
    const file = keyFile(generateKey(), 0o644);
    expect(refusal(() => ensureKeyFile(file)).problem).toBe('permissions');
    const broken = keyFile('not a key', 0o600, 'broken.key');
    expect(refusal(() => ensureKeyFile(broken)).problem).toBe('not-base64');
    expect(readFileSync(broken, 'latin1')).toBe('not a key');
  });

  it('returns the key of another process that created the file first, and leaves no temporary file', () => {
    const file = path.join(dir, 'secrets.key');
    const winner = generateKey();
    const realLink = fs.linkSync;
    // The other process creates the file between our check and our link.
    jest.spyOn(fs, 'linkSync').mockImplementation((existing, target) => {
      writeFileSync(file, `${winner}\n`, { mode: 0o600, flag: 'wx' });
      realLink(existing, target);
    });
    expect(ensureKeyFile(file).toString('base64')).toBe(winner);
    expect(readdirSync(dir)).toEqual(['secrets.key']);
  });

  it('says why when it cannot create the file', () => {
    const blocker = keyFile('x', 0o600, 'not-a-dir');
    const refused = refusal(() => ensureKeyFile(path.join(blocker, 'secrets.key')));
    expect(refused.problem).toBe('unreadable');
    expect(refused.message).toMatch(/ENOTDIR/);

    // A directory that cannot be created: its name is a dangling symlink.
    symlinkSync(path.join(dir, 'nowhere', 'deeper'), path.join(dir, 'dangling'));
    const uncreatable = path.join(dir, 'dangling', 'secrets.key');
    const refusedCreate = refusal(() => ensureKeyFile(uncreatable));
    expect(refusedCreate.problem).toBe('unwritable');
    expect(refusedCreate.message).toMatch(`cannot create the secrets key file ${uncreatable}: ENOENT`);
  });
});
