// Independent reader of encoded replies for the encoder tests. It walks the options field, then
// file and sname when option 52 overloads them, and returns every option instance in wire order.

export interface ReplyOption {
  code: number;
  value: Uint8Array;
  area: 'options' | 'file' | 'sname';
  /** Offset of the code byte from the start of the reply. */
  at: number;
}

export function readReplyOptions(reply: Uint8Array): ReplyOption[] {
  const found: ReplyOption[] = [];
  readArea(reply, 240, reply.length, 'options', found);
  const overload = found.find((o) => o.code === 52)?.value[0] ?? 0;
  if (overload & 1) readArea(reply, 108, 236, 'file', found);
  if (overload & 2) readArea(reply, 44, 108, 'sname', found);
  return found;
}

/** Joins every instance of `code` in wire order, or undefined when absent. */
export function joinedOption(options: ReplyOption[], code: number): Uint8Array | undefined {
  const parts = options.filter((o) => o.code === code);
  if (parts.length === 0) return undefined;
  return Uint8Array.from(parts.flatMap((p) => Array.from(p.value)));
}

function readArea(reply: Uint8Array, start: number, end: number, area: ReplyOption['area'], found: ReplyOption[]): void {
  let p = start;
  while (p < end) {
    const code = reply[p]!;
    if (code === 0) {
      p++;
      continue;
    }
    if (code === 255) return;
    if (p + 2 > end) throw new Error(`${area}: option ${code} at ${p} has no length byte`);
    const length = reply[p + 1]!;
    if (p + 2 + length > end) throw new Error(`${area}: option ${code} at ${p} runs past the area`);
    found.push({ code, value: reply.subarray(p + 2, p + 2 + length), area, at: p });
    p += 2 + length;
  }
  throw new Error(`${area}: no END`);
}
