import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { SlackStandIn } from './slack-standin.js';

/** RFC 6455 §1.3: the server proves it read the handshake by hashing the client's key with this GUID. */
const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const OPCODE = { text: 0x1, close: 0x8, ping: 0x9, pong: 0xa } as const;

interface Frame {
  opcode: number;
  payload: Buffer;
}

/** One unfragmented server frame (servers never mask). */
function encodeFrame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  let head: Buffer;
  if (length < 126) head = Buffer.from([0x80 | opcode, length]);
  else if (length < 65_536) {
    head = Buffer.from([0x80 | opcode, 126, 0, 0]);
    head.writeUInt16BE(length, 2);
  } else {
    head = Buffer.alloc(10);
    head[0] = 0x80 | opcode;
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(length), 2);
  }
  return Buffer.concat([head, payload]);
}

/** The complete frames at the start of `buffer` (clients always mask), and what is left of it. */
function decodeFrames(buffer: Buffer): { frames: Frame[]; rest: Buffer } {
  const frames: Frame[] = [];
  let offset = 0;
  while (buffer.length - offset >= 2) {
    const first = buffer[offset] ?? 0;
    const second = buffer[offset + 1] ?? 0;
    let length = second & 0x7f;
    let at = offset + 2;
    if (length === 126) {
      if (buffer.length < at + 2) break;
      length = buffer.readUInt16BE(at);
      at += 2;
    } else if (length === 127) {
      if (buffer.length < at + 8) break;
      length = Number(buffer.readBigUInt64BE(at));
      at += 8;
    }
    const maskLength = second & 0x80 ? 4 : 0;
    if (buffer.length < at + maskLength + length) break;
    const mask = buffer.subarray(at, at + maskLength);
    const payload = Buffer.from(buffer.subarray(at + maskLength, at + maskLength + length));
    if (maskLength) for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
    frames.push({ opcode: first & 0x0f, payload });
    offset = at + maskLength + length;
  }
  return { frames, rest: buffer.subarray(offset) };
}

/**
 * Slack's side of Socket Mode (slack-platform.md, Socket Mode) on the Web API stand-in's port: its
 * `apps.connections.open` answers with a ws:// URL there, this takes the upgrade, says `hello`, and lets the
 * test send envelopes and read the app's acks.
 */
export class SocketModeLink {
  readonly acks: Record<string, unknown>[] = [];
  closedByApp = false;
  private socket: Duplex | undefined;
  private connected: (() => void) | undefined;

  constructor(slack: SlackStandIn) {
    slack.onUpgrade((req, socket) => this.accept(req, socket));
  }

  /** Resolves once the app has connected and been greeted. */
  whenConnected(): Promise<void> {
    return this.socket ? Promise.resolve() : new Promise((resolve) => (this.connected = resolve));
  }

  /** Delivers an envelope as Slack does: a JSON text frame with an envelope_id the app must ack. */
  deliver(envelope: {
    envelope_id: string;
    type: string;
    payload: unknown;
    accepts_response_payload: boolean;
  }) {
    if (!this.socket) throw new Error('no Socket Mode connection to deliver on');
    this.socket.write(encodeFrame(OPCODE.text, Buffer.from(JSON.stringify(envelope))));
  }

  /** Ends the connection; call before closing the stand-in, which does not track upgraded sockets. */
  async close(): Promise<void> {
    // Give the app's closing handshake time to finish: cutting it short is a network error on its side.
    const socket = this.socket;
    if (socket && !socket.destroyed)
      await new Promise((resolve) => {
        socket.once('close', resolve);
        setTimeout(resolve, 2_000).unref();
      });
    socket?.destroy();
  }

  private accept(req: IncomingMessage, socket: Duplex): void {
    const accept = createHash('sha1')
      .update(`${req.headers['sec-websocket-key'] ?? ''}${WEBSOCKET_GUID}`)
      .digest('base64');
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    this.socket = socket;
    let unread: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      const { frames, rest } = decodeFrames(Buffer.concat([unread, chunk]));
      unread = rest;
      frames.forEach((frame) => this.onFrame(socket, frame));
    });
    socket.on('error', () => {});
    const hello = { type: 'hello', num_connections: 1, connection_info: { app_id: 'A0APP' } };
    socket.write(encodeFrame(OPCODE.text, Buffer.from(JSON.stringify(hello))));
    this.connected?.();
  }

  private onFrame(socket: Duplex, frame: Frame): void {
    if (frame.opcode === OPCODE.text)
      this.acks.push(JSON.parse(frame.payload.toString()) as Record<string, unknown>);
    else if (frame.opcode === OPCODE.ping) socket.write(encodeFrame(OPCODE.pong, frame.payload));
    else if (frame.opcode === OPCODE.close) {
      this.closedByApp = true;
      socket.end(encodeFrame(OPCODE.close, frame.payload));
    }
  }
}
