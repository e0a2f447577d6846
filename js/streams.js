// The bodies R2 caches stream (`setStream`): a ReadableStream of known
// length, a Blob, an ArrayBuffer or a Uint8Array, brand-checked so that a
// Proxy or a spoofed prototype is a coded error, never a stray throw.

import { byteLengthOf, checkValue } from "./checks.js";
import { ErrorCode, arrayBufferCheck, codedError, describe, intrinsic, typedArrayName } from "./options.js";

const blobSizeOf = typeof Blob === "function" ? intrinsic(Blob.prototype, "size") : undefined;

// The body of setStream and its size in bytes (undefined for a stream whose
// length is not given). A stream with a `length` is wrapped in workerd's
// FixedLengthStream, which R2's put needs for a stream of known length.
// Brand check through the intrinsic `locked` getter: a Proxy or an object
// with a spoofed prototype cannot pass, and nothing here can throw.
const streamLockedOf = typeof ReadableStream === "function" ? intrinsic(ReadableStream.prototype, "locked") : undefined;
function isReadableStream(value) {
  try {
    if (streamLockedOf !== undefined) {
      streamLockedOf.call(value);
      return true;
    }
    return value instanceof ReadableStream;
  } catch {
    return false;
  }
}

export function streamBody(body, length) {
  if (isReadableStream(body)) {
    if (length === undefined) return { body, size: undefined };
    if (typeof FixedLengthStream !== "function") return { body, size: length };
    if (streamLockedOf?.call(body)) throw codedError(ErrorCode.INVALID_VALUE, "the stream is locked (already being read)");
    // eslint-disable-next-line no-undef
    const fixed = new FixedLengthStream(length);
    // A source that fails, or is shorter or longer than `length`, errors the
    // readable side: R2's put rejects, and that is the error reported.
    body.pipeTo(fixed.writable).catch(() => {});
    return { body: fixed.readable, size: length };
  }
  if (length !== undefined) {
    throw codedError(ErrorCode.INVALID_OPTIONS, "length is only for ReadableStream bodies (others know their size)");
  }
  if (blobSizeOf !== undefined) {
    try {
      return { body, size: blobSizeOf.call(body) };
    } catch {
      // Not a Blob.
    }
  }
  if (typedArrayName.call(body) === "Uint8Array") {
    const value = checkValue(body);
    return { body: value, size: byteLengthOf.call(value) };
  }
  let size;
  try {
    // Throws for anything but an ArrayBuffer (a SharedArrayBuffer included).
    arrayBufferCheck.call(body);
    size = intrinsic(ArrayBuffer.prototype, "byteLength").call(body);
  } catch {
    throw codedError(
      ErrorCode.INVALID_VALUE,
      `setStream expects a ReadableStream, Blob, ArrayBuffer or Uint8Array, got ${describe(body)}`,
    );
  }
  return { body, size };
}
