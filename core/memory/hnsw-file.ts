/** What the header of an hnswlib index file says. */
export interface HnswFileHeader {
  dimension: number;
  m: number;
  /** Slots in use, deleted ones included. */
  slots: number;
}

const HEADER_BYTES = 96;

/**
 * Checks the layout of an hnswlib index file (hnswlib's saveIndex format) in JS, before hnswlib
 * reads it: given a malformed file, hnswlib's loadIndex throws and leaves a half-built native object
 * whose destructor later crashes the process. Returns the header, or what is wrong.
 */
export function checkHnswFile(bytes: Buffer): HnswFileHeader | string {
  if (bytes.length < HEADER_BYTES) return `the index file has ${bytes.length} bytes, too few for an hnswlib header`;
  const size = (offset: number) => Number(bytes.readBigUInt64LE(offset));
  const [offsetLevel0, maxElements, slots, bytesPerElement, labelOffset, dataOffset] = [0, 8, 16, 24, 32, 40].map(size) as [number, number, number, number, number, number];
  const [entryPoint, maxM, maxM0, m] = [bytes.readUInt32LE(52), size(56), size(64), size(72)];
  const dimension = (labelOffset - dataOffset) / 4;
  const consistent =
    offsetLevel0 === 0 &&
    slots <= maxElements &&
    maxM === m &&
    maxM0 === 2 * m &&
    dataOffset === 4 + 4 * maxM0 &&
    bytesPerElement === labelOffset + 8 &&
    Number.isInteger(dimension) &&
    dimension >= 1 &&
    (slots === 0 || entryPoint < slots) &&
    HEADER_BYTES + slots * bytesPerElement <= bytes.length;
  if (!consistent) return 'the index file header is inconsistent';
  for (let slot = 0; slot < slots; slot++) {
    const problem = checkLinks(bytes, HEADER_BYTES + slot * bytesPerElement, maxM0, slots);
    if (problem) return `slot ${slot}, level 0: ${problem}`;
  }
  let offset = HEADER_BYTES + slots * bytesPerElement;
  const upperListBytes = 4 + 4 * maxM;
  for (let slot = 0; slot < slots; slot++) {
    if (offset + 4 > bytes.length) return `the index file ends inside slot ${slot}'s upper levels`;
    const listBytes = bytes.readUInt32LE(offset);
    offset += 4;
    if (listBytes % upperListBytes !== 0 || offset + listBytes > bytes.length) return `slot ${slot}'s upper levels have a bad size (${listBytes} bytes)`;
    for (let list = offset; list < offset + listBytes; list += upperListBytes) {
      const problem = checkLinks(bytes, list, maxM, slots);
      if (problem) return `slot ${slot}, upper level: ${problem}`;
    }
    offset += listBytes;
  }
  if (offset !== bytes.length) return `the index file has ${bytes.length - offset} bytes after its last slot`;
  return { dimension, m, slots };
}

/** A link list is a count (low 16 bits; the deleted mark lives above) then up to `capacity` slot numbers. */
function checkLinks(bytes: Buffer, offset: number, capacity: number, slots: number): string | undefined {
  const count = bytes.readUInt16LE(offset);
  if (count > capacity) return `${count} links where at most ${capacity} fit`;
  for (let i = 0; i < count; i++) {
    const target = bytes.readUInt32LE(offset + 4 + 4 * i);
    if (target >= slots) return `a link to slot ${target} of ${slots}`;
  }
  return undefined;
}
