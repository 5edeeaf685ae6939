// The offline-logout marker: kept until the server has answered the logout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clearLogoutPending, endServerSession, isLogoutPending, markLogoutPending } from '../../logbook/static/app/logout.js';

function memoryStorage() {
  const data = new Map();
  return { getItem: (k) => (data.has(k) ? data.get(k) : null), setItem: (k, v) => data.set(k, String(v)), removeItem: (k) => data.delete(k) };
}

test('the marker is kept while the server cannot be reached, and cleared once it answers', async () => {
  const store = memoryStorage();
  markLogoutPending(store);
  assert.equal(isLogoutPending(store), true);
  const offline = Object.assign(new Error('No connection'), { status: 0 });
  assert.equal(await endServerSession(async () => { throw offline; }, store), false);
  assert.equal(isLogoutPending(store), true);
  const failed = Object.assign(new Error('Server error'), { status: 503 });
  assert.equal(await endServerSession(async () => { throw failed; }, store), false);
  assert.equal(isLogoutPending(store), true);
  assert.equal(await endServerSession(async () => null, store), true);
  assert.equal(isLogoutPending(store), false);
});

test('a session the server no longer knows (401) counts as ended', async () => {
  const store = memoryStorage();
  markLogoutPending(store);
  const gone = Object.assign(new Error('Not logged in'), { status: 401 });
  assert.equal(await endServerSession(async () => { throw gone; }, store), true);
  assert.equal(isLogoutPending(store), false);
  clearLogoutPending(store); // clearing twice is harmless
  assert.equal(isLogoutPending(store), false);
});
