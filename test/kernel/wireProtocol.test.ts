import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DELIMITER, Session } from '../../src/kernel/wireProtocol.js';
import { venvPython } from './helpers.js';

const key = 'a3f9c0de-5b1e-4f6a-9d2c-7e8b1a2c3d4e';

describe('wire protocol', () => {
  it('round-trips a message with routing ids and buffers', () => {
    const s = new Session({ key });
    const msg = s.message(
      'execute_request',
      { code: 'print("é")', silent: false },
      { msg_id: 'parent-1' },
      { cellId: 'c1' }
    );
    msg.identities = [Buffer.from('router-id')];
    msg.buffers = [Buffer.from([0, 1, 2, 255])];
    const frames = s.serialize(msg);
    expect(frames[1]!.equals(DELIMITER)).toBe(true);
    const back = s.deserialize(frames);
    expect(back.ok).toBe(true);
    if (!back.ok) return;
    expect(back.message.header).toEqual(msg.header);
    expect(back.message.parent_header).toEqual({ msg_id: 'parent-1' });
    expect(back.message.metadata).toEqual({ cellId: 'c1' });
    expect(back.message.content).toEqual({ code: 'print("é")', silent: false });
    expect(back.message.identities.map(b => b.toString())).toEqual(['router-id']);
    expect(back.message.buffers[0]!.equals(Buffer.from([0, 1, 2, 255]))).toBe(true);
  });

  it('gives every message a fresh id', () => {
    const s = new Session({ key });
    const ids = new Set(Array.from({ length: 1000 }, () => s.message('x', {}).header.msg_id));
    expect(ids.size).toBe(1000);
  });

  it('rejects a wrong key, a tampered frame and a missing signature', () => {
    const good = new Session({ key });
    const frames = good.serialize(good.message('stream', { name: 'stdout', text: 'hi' }));
    expect(new Session({ key: 'other-key' }).deserialize(frames)).toEqual({ ok: false, reason: 'bad-signature' });

    const tampered = [...frames];
    tampered[5] = Buffer.from(JSON.stringify({ name: 'stdout', text: 'evil' }));
    expect(good.deserialize(tampered)).toEqual({ ok: false, reason: 'bad-signature' });

    const unsigned = [...frames];
    unsigned[1] = Buffer.alloc(0);
    expect(good.deserialize(unsigned)).toEqual({ ok: false, reason: 'bad-signature' });

    const truncatedSig = [...frames];
    truncatedSig[1] = frames[1]!.subarray(0, 10);
    expect(good.deserialize(truncatedSig)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('reports malformed frame lists instead of throwing', () => {
    const s = new Session({ key });
    expect(s.deserialize([Buffer.from('junk')])).toEqual({ ok: false, reason: 'no-delimiter' });
    expect(s.deserialize([DELIMITER, Buffer.from('sig')])).toEqual({ ok: false, reason: 'too-few-frames' });
    const noKey = new Session({ key: '' });
    const bad = [
      DELIMITER,
      Buffer.alloc(0),
      Buffer.from('{not json'),
      Buffer.from('{}'),
      Buffer.from('{}'),
      Buffer.from('{}')
    ];
    expect(noKey.deserialize(bad)).toEqual({ ok: false, reason: 'bad-json' });
  });

  it('with an empty key, signs nothing and accepts unsigned messages (as Jupyter does)', () => {
    const s = new Session({ key: '' });
    const frames = s.serialize(s.message('status', { execution_state: 'idle' }));
    expect(frames[1]!.length).toBe(0);
    expect(s.deserialize(frames).ok).toBe(true);
  });

  it("interoperates with jupyter_client's Session in both directions", () => {
    const ours = new Session({ key });
    const ourFrames = ours.serialize(ours.message('kernel_info_request', { x: [1, 'é'] }, {}, { m: true }));
    const script = `
import sys, json
from jupyter_client.session import Session
s = Session(key=${JSON.stringify(key)}.encode())
frames = [bytes.fromhex(h) for h in json.loads(sys.stdin.read())]
idents, rest = s.feed_identities(frames)
msg = s.deserialize(rest)  # raises on a bad signature
out = s.serialize(s.msg('kernel_info_reply', {'echo': msg['content']}, parent=msg['header']))
print(json.dumps([f.hex() for f in out]))
`;
    const r = spawnSync(venvPython, ['-c', script], {
      input: JSON.stringify(ourFrames.map(f => f.toString('hex'))),
      encoding: 'utf8'
    });
    expect(r.stderr).toBe('');
    const theirFrames = (JSON.parse(r.stdout) as string[]).map(h => Buffer.from(h, 'hex'));
    const back = ours.deserialize(theirFrames);
    expect(back.ok).toBe(true);
    if (!back.ok) return;
    expect(back.message.header.msg_type).toBe('kernel_info_reply');
    expect(back.message.content).toEqual({ echo: { x: [1, 'é'] } });
  });
});
