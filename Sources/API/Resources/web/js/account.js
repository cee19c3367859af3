// Sign-in and sign-out: a session starts by name (on a development server) or with a pasted
// token, and ends by signing out or when its token is no longer accepted.

import { $ } from './dom.js';
import { IDENTIFIER } from './identifiers.js';
import { hideAlert, showAlert } from './alerts.js';
import { saveSession, session, isStaff, decodeToken } from './session.js';
import { ApiError, api } from './rest.js';
import { live, connect, disconnect, setConnectionState } from './live-connection.js';
import { scheduleRenewal, renewTimer, mintToken } from './token-renewal.js';
import { chat } from './chat-state.js';
import { loadRooms, openRoom, resetConversation } from './chat.js';
import { typingOut } from './typing-presence.js';
import { outbox } from './outbox.js';
import { loadOrders, resetOrders } from './orders.js';
import { notifications, setPanelOpen } from './notifications.js';
import { showView } from './views.js';

export async function startSession(next) {
  saveSession(next);
  live.signedOut = false;
  hideAlert();
  $('sign-in-view').hidden = true;
  $('views-nav').hidden = false;
  $('account').hidden = false;
  $('current-user').textContent = session.user;
  $('staff-badge').hidden = !isStaff();
  showView(location.hash.slice(1));
  outbox.load();
  outbox.render();
  scheduleRenewal();
  connect();
  const results = await Promise.allSettled([
    loadRooms(),
    loadOrders(),
    notifications.load(),
  ]);
  const failed = results.find((result) => result.status === 'rejected');
  if (failed && session) showAlert(`Some of the page did not load: ${failed.reason.message}`);
  const lastRoom = sessionStorage.getItem('tideline.room');
  if (session && lastRoom) openRoom(lastRoom);
}

export function endSession(message) {
  typingOut.stop();
  disconnect();
  notifications.close();
  clearTimeout(renewTimer);
  saveSession(null);
  sessionStorage.removeItem('tideline.room');
  chat.current = null;
  chat.rooms = [];
  chat.roomsFloor = 0;
  resetOrders();
  notifications.clear();
  outbox.items = [];
  $('outbox').replaceChildren();
  $('room-list').replaceChildren();
  resetConversation(null);
  notifications.render();
  setPanelOpen(false);
  $('views-nav').hidden = true;
  $('account').hidden = true;
  $('chat-view').hidden = true;
  $('orders-view').hidden = true;
  $('sign-in-view').hidden = false;
  setConnectionState('signed-out', 'Signed out');
  if (message) showAlert(message);
  $('sign-in-user').focus();
}

export function signOut() {
  const unsent = outbox.items.filter((item) => item.state !== 'sent').length;
  if (unsent && !window.confirm(`${unsent} message(s) have not been sent yet and will be lost. Sign out anyway?`)) return;
  if (session) sessionStorage.removeItem(`tideline.outbox.${session.user}`);
  endSession(null);
}

export async function signInWithName(event) {
  event.preventDefault();
  const user = $('sign-in-user').value.trim();
  if (!IDENTIFIER.test(user)) {
    showAlert('A user name starts with a letter or digit and has only letters, digits, _ . - (up to 64).');
    $('sign-in-user').focus();
    return;
  }
  $('sign-in-submit').disabled = true;
  try {
    await startSession(await mintToken(user, $('sign-in-staff').checked ? ['staff'] : []));
  } catch (error) {
    showAlert(error instanceof ApiError && error.status === 404
      ? 'This server does not mint tokens (it is not in development mode): sign in with a token.'
      : `Could not sign in: ${error.message}`);
  } finally {
    $('sign-in-submit').disabled = false;
  }
}

export async function signInWithToken(event) {
  event.preventDefault();
  const token = $('token-input').value.trim();
  let claims;
  try {
    claims = decodeToken(token);
  } catch (error) {
    showAlert(`That is not a token: ${error.message}.`);
    return;
  }
  const candidate = {
    token, user: claims.sub, roles: Array.isArray(claims.roles) ? claims.roles : [],
    expiresAt: claims.exp ? claims.exp * 1000 : null, minted: false,
  };
  // Ask the server before starting: a browser cannot see why a WebSocket handshake failed.
  try {
    await api('GET', '/v1/rooms?limit=1', { token });
  } catch (error) {
    showAlert(error instanceof ApiError && error.status === 401
      ? 'The server does not accept this token (wrong secret, or expired).' : `Could not check the token: ${error.message}`);
    return;
  }
  $('token-input').value = '';
  await startSession(candidate);
}
