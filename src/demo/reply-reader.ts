// Reads the few fields of a server reply the relay client needs: xid, message type, yiaddr and the
// server identifier. Replies are BOOTREPLY messages, so the request view's op check does not apply.

import { DecodeOutcome } from '../codec/types.js';

const OFF_XID = 4;
const OFF_YIADDR = 16;
const OFF_OPTIONS = 240;
const COOKIE = 0x63825363;

export class ReplyReader {
  xid = 0;
  yiaddr = 0;
  messageType = 0;
  serverId: number | undefined = undefined;

  read(msg: Buffer): DecodeOutcome {
    if (msg.length < OFF_OPTIONS) return DecodeOutcome.TOO_SHORT;
    if (msg[0] !== 2 || msg.readUInt32BE(236) !== COOKIE) return DecodeOutcome.BAD_COOKIE;
    this.xid = msg.readUInt32BE(OFF_XID);
    this.yiaddr = msg.readUInt32BE(OFF_YIADDR);
    this.messageType = 0;
    this.serverId = undefined;

    let i = OFF_OPTIONS;
    while (i < msg.length) {
      const code = msg[i];
      if (code === 0) { i++; continue; }
      if (code === 255 || i + 1 >= msg.length) break;
      const len = msg[i + 1];
      if (i + 2 + len > msg.length) break;
      if (code === 53 && len === 1) this.messageType = msg[i + 2];
      if (code === 54 && len === 4) this.serverId = msg.readUInt32BE(i + 2);
      i += 2 + len;
    }
    return this.messageType === 0 ? DecodeOutcome.NO_MESSAGE_TYPE : DecodeOutcome.OK;
  }
}
