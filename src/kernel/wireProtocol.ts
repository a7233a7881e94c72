/**
 * The Jupyter wire protocol (messaging spec v5): a message is the multipart frame list
 *   [routing ids..., "<IDS|MSG>", signature, header, parent_header, metadata, content, buffers...]
 * signed with HMAC-SHA256 over the four JSON frames. Incoming messages are verified with a
 * constant-time compare; anything malformed or unsigned is reported, never thrown.
 */
import crypto from 'node:crypto';
import os from 'node:os';

export const DELIMITER = Buffer.from('<IDS|MSG>');
export const PROTOCOL_VERSION = '5.4';

export interface MessageHeader {
  msg_id: string;
  msg_type: string;
  username: string;
  session: string;
  date: string;
  version: string;
  [key: string]: unknown;
}

export type JsonObject = Record<string, unknown>;

export interface JupyterMessage<C = JsonObject> {
  header: MessageHeader;
  /** empty object when the message has no parent */
  parent_header: Partial<MessageHeader>;
  metadata: JsonObject;
  content: C;
  buffers: Buffer[];
  /** routing identities before the delimiter (empty for DEALER/SUB receivers) */
  identities: Buffer[];
}

export type DecodeResult =
  | { ok: true; message: JupyterMessage }
  | { ok: false; reason: 'no-delimiter' | 'too-few-frames' | 'bad-signature' | 'bad-json' };

export interface SessionOptions {
  /** HMAC key as written in the connection file; '' disables signing (as Jupyter allows) */
  key: string;
  signatureScheme?: string;
  /** session id, also used as the routing id of shell/control/stdin */
  session?: string;
  username?: string;
}

/** Signs, serializes and verifies messages for one client session. */
export class Session {
  readonly session: string;
  readonly username: string;
  private readonly key: Buffer;
  private readonly algorithm: string;
  private counter = 0;
  private readonly idPrefix: string;

  constructor(options: SessionOptions) {
    this.key = Buffer.from(options.key, 'utf8');
    const scheme = options.signatureScheme ?? 'hmac-sha256';
    if (!scheme.startsWith('hmac-'))
      throw new Error(`Unsupported signature scheme "${scheme}": only hmac-<digest> is defined by Jupyter.`);
    this.algorithm = scheme.slice('hmac-'.length);
    this.session = options.session ?? crypto.randomUUID();
    this.username = options.username ?? safeUsername();
    // Unique per session and cheap: a random prefix and a counter.
    this.idPrefix = crypto.randomBytes(8).toString('hex');
  }

  newMessageId(): string {
    return `${this.idPrefix}_${process.pid}_${++this.counter}`;
  }

  message<C extends object>(
    msgType: string,
    content: C,
    parent: Partial<MessageHeader> = {},
    metadata: JsonObject = {}
  ): JupyterMessage<C> {
    return {
      header: {
        msg_id: this.newMessageId(),
        msg_type: msgType,
        username: this.username,
        session: this.session,
        date: new Date().toISOString(),
        version: PROTOCOL_VERSION
      },
      parent_header: parent,
      metadata,
      content,
      buffers: [],
      identities: []
    };
  }

  sign(frames: readonly Buffer[]): string {
    if (this.key.length === 0) return '';
    const hmac = crypto.createHmac(this.algorithm, this.key);
    for (const f of frames) hmac.update(f);
    return hmac.digest('hex');
  }

  serialize(message: JupyterMessage<object>): Buffer[] {
    const parts = [
      Buffer.from(JSON.stringify(message.header)),
      Buffer.from(JSON.stringify(message.parent_header ?? {})),
      Buffer.from(JSON.stringify(message.metadata ?? {})),
      Buffer.from(JSON.stringify(message.content ?? {}))
    ];
    return [...message.identities, DELIMITER, Buffer.from(this.sign(parts)), ...parts, ...message.buffers];
  }

  /** Verifies and parses a received frame list. Never throws. */
  deserialize(frames: readonly Buffer[]): DecodeResult {
    let d = -1;
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i]!;
      if (f.length === DELIMITER.length && f.equals(DELIMITER)) {
        d = i;
        break;
      }
    }
    if (d < 0) return { ok: false, reason: 'no-delimiter' };
    if (frames.length < d + 6) return { ok: false, reason: 'too-few-frames' };
    const signed = frames.slice(d + 2, d + 6);
    if (this.key.length > 0) {
      const expected = Buffer.from(this.sign(signed));
      const got = frames[d + 1]!;
      if (got.length !== expected.length || !crypto.timingSafeEqual(got, expected))
        return { ok: false, reason: 'bad-signature' };
    }
    try {
      const [header, parent, metadata, content] = signed.map(f => JSON.parse(f.toString('utf8')) as unknown) as [
        MessageHeader,
        Partial<MessageHeader>,
        JsonObject,
        JsonObject
      ];
      if (!header || typeof header.msg_type !== 'string') return { ok: false, reason: 'bad-json' };
      return {
        ok: true,
        message: {
          header,
          parent_header: parent ?? {},
          metadata: metadata ?? {},
          content: content ?? {},
          buffers: frames.slice(d + 6) as Buffer[],
          identities: frames.slice(0, d) as Buffer[]
        }
      };
    } catch {
      return { ok: false, reason: 'bad-json' };
    }
  }
}

function safeUsername(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? 'threadline';
  }
}
