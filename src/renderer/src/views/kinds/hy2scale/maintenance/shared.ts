import { HY2SCALE_RESTORE_MAX_BYTES } from '../../../../../../shared/contract'

/** Bytes to base64 in chunks (a 50 MB file would overflow `String.fromCharCode(...all)`). */
export function bytesToBase64(bytes: Uint8Array): string {
  let bin = ''
  const CHUNK = 0x8000
  for (let i = 0; i < bytes.length; i += CHUNK) {
    bin += String.fromCharCode(...bytes.subarray(i, i + CHUNK))
  }
  return btoa(bin)
}

/** True when the node accepts a restore of this size (≤ 50 MB). */
export function restoreSizeOk(size: number): boolean {
  return size > 0 && size <= HY2SCALE_RESTORE_MAX_BYTES
}

/** A byte count as MiB with one decimal. */
export function mib(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`
}
