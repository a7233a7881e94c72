/** `--server` once or more, `--servers FILE`, `--token`: which servers, with which tokens, and the usage errors. */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/grader/engine/errors.js';
import { remoteFactoryFromFlags, serversFromFlags } from '../../../src/grader/commands/serverFlags.js';
import { tempDir } from '../helpers.js';

describe('server flags', () => {
  it('takes --server URLs in order, then the file; a token on a line wins over --token', () => {
    const file = path.join(tempDir('tl-speed-servers-'), 'servers.txt');
    fs.writeFileSync(file, '# gateways\nhttp://b:8888/ own-token\n\n  https://c/  # no token: --token\n');
    expect(serversFromFlags({ server: ['http://a/'], servers: file, token: 'T' }, 'grade')).toEqual([
      { url: 'http://a/', token: 'T' },
      { url: 'http://b:8888/', token: 'own-token' },
      { url: 'https://c/', token: 'T' }
    ]);
    // validate takes --server once: a plain string
    expect(serversFromFlags({ server: 'http://a/' }, 'validate')).toEqual([{ url: 'http://a/', token: undefined }]);
  });

  it('refuses a line that is not URL [TOKEN], a missing file, an empty list, and --cwd with servers', () => {
    const dir = tempDir('tl-speed-servers-');
    const bad = path.join(dir, 'bad.txt');
    fs.writeFileSync(bad, 'b:8888 token extra\n');
    expect(() => serversFromFlags({ servers: bad }, 'grade')).toThrow(/is not "URL \[TOKEN\]"/);
    expect(() => serversFromFlags({ servers: path.join(dir, 'none.txt') }, 'grade')).toThrow(UsageError);
    const empty = path.join(dir, 'empty.txt');
    fs.writeFileSync(empty, '# nothing yet\n');
    expect(() => remoteFactoryFromFlags({ servers: empty }, 'grade')).toThrow(/names no server/);
    expect(() => remoteFactoryFromFlags({ server: ['http://a/'], cwd: dir }, 'grade')).toThrow(/--server-cwd/);
    expect(() => remoteFactoryFromFlags({ token: 'T' }, 'grade')).toThrow(/--token needs --server/);
    expect(remoteFactoryFromFlags({}, 'grade')).toBeUndefined();
    expect(remoteFactoryFromFlags({ server: ['http://a/', 'http://b/'] }, 'grade')?.description).toBe(
      'kernels on 2 servers'
    );
  });
});
