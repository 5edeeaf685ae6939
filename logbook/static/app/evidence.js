// Evidence files from the camera or the phone's files: hashed (SHA-256) and kept as blobs in the
// store until the sync engine uploads them by hash; entries refer to them by that hash.

export const MAX_BYTES = 10 * 1024 * 1024;
export const ACCEPT = 'image/jpeg,image/png,image/heic,image/heif,application/pdf,application/vnd.openxmlformats-officedocument.wordprocessingml.document';

export async function sha256Hex(buffer) {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', buffer);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Keep a file on the phone for upload; returns the reference an entry stores. */
export async function addEvidence(store, file) {
  if (file.size > MAX_BYTES) throw new Error(`${file.name} is larger than 10 MB.`);
  const buffer = await file.arrayBuffer();
  const sha256 = await sha256Hex(buffer);
  const existing = await store.getEvidence(sha256);
  if (!existing) {
    await store.putEvidence({
      sha256, blob: new Blob([buffer], { type: file.type }), media_type: file.type || 'application/octet-stream',
      name: file.name || 'photo.jpg', size: file.size, uploaded: false, added_at: new Date().toISOString(),
    });
  }
  return { sha256, name: (file.name || 'photo.jpg').slice(0, 255), caption: '' };
}
