// Tideline in the browser: chat, orders and notifications over the public API only
// (fetch for REST, one WebSocket for rooms and orders, one EventSource for notifications).
//
// Plain ES modules, no build step, no dependency: the server's Content-Security-Policy allows
// only this origin, so everything the page needs is in index.html, app.css, this file and the
// modules it imports from js/ (served at /js/<name>.js). This file is the entry point that
// index.html loads: it only wires the modules to the page and starts the session.
//
// The rules these modules follow, from docs/connections.md:
// - event ids are decimal strings of at most 2^53 - 1: compared as numbers, never as strings;
// - every live subscription resumes from max(last event id processed, last caught_up.event_id)
//   of that subscription, so a reconnect has no gap; what comes twice anyway (REST history
//   overlapping a replay, an optimistic insert) is dropped by its message, order or
//   notification id;
// - every message has a client_msg_id chosen once, so sending it again after a broken
//   connection can never post it twice (the server answers the first ack again).

import { $ } from './js/dom.js';
import { IDENTIFIER } from './js/identifiers.js';
import { hideAlert, showAlert } from './js/alerts.js';
import { loadSession, saveSession } from './js/session.js';
import { reconnectNow, live } from './js/live-connection.js';
import { mintToken } from './js/token-renewal.js';
import { loadRooms, openRoom, loadOlder } from './js/chat.js';
import { isNearBottom, scrollToBottom } from './js/message-list.js';
import { typingOut } from './js/typing-presence.js';
import { sendComposed, autosize } from './js/composer.js';
import { placeOrder, updateOrderTotal, addItemRow, currencyChanged, loadOlderOrders } from './js/orders.js';
import { setPanelOpen, notifications } from './js/notifications.js';
import { showView, setRoomsOpen } from './js/views.js';
import { signInWithName, signInWithToken, signOut, startSession } from './js/account.js';
import { createRoom, slugify, joinRoom, addMember, leaveRoom } from './js/room-actions.js';

function wire() {
  $('sign-in-form').addEventListener('submit', signInWithName);
  $('token-form').addEventListener('submit', signInWithToken);
  $('sign-out').addEventListener('click', signOut);
  $('alert-close').addEventListener('click', hideAlert);
  $('reconnect-now').addEventListener('click', reconnectNow);

  $('bell').addEventListener('click', () => setPanelOpen($('notifications-panel').hidden));
  $('close-notifications').addEventListener('click', () => { setPanelOpen(false); $('bell').focus(); });
  $('mark-all-read').addEventListener('click', () => notifications.markAllRead());
  $('notifications-title').tabIndex = -1;
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !$('notifications-panel').hidden) { setPanelOpen(false); $('bell').focus(); }
  });

  window.addEventListener('hashchange', () => showView(location.hash.slice(1)));
  $('rooms-toggle').addEventListener('click', () => setRoomsOpen($('rooms-toggle').getAttribute('aria-expanded') !== 'true'));
  $('refresh-rooms').addEventListener('click', () => loadRooms().catch((error) => showAlert(`Could not load the rooms: ${error.message}`)));
  $('create-room-form').addEventListener('submit', createRoom);
  $('new-room-name').addEventListener('input', () => {
    if (!$('new-room-id').dataset.edited) $('new-room-id').value = slugify($('new-room-name').value);
  });
  $('new-room-id').addEventListener('input', () => { $('new-room-id').dataset.edited = 'yes'; });
  $('open-room-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const roomId = $('open-room-id').value.trim();
    if (!IDENTIFIER.test(roomId)) { showAlert('That is not a room id.'); return; }
    $('open-room-form').reset();
    openRoom(roomId, { focus: true });
  });
  $('join-room').addEventListener('click', joinRoom);
  $('add-member-form').addEventListener('submit', addMember);
  $('leave-room').addEventListener('click', leaveRoom);

  const input = $('message-input');
  $('composer').addEventListener('submit', (event) => { event.preventDefault(); sendComposed(); input.focus(); });
  input.addEventListener('keydown', (event) => {
    // Enter sends; Shift+Enter is a new line; Enter that confirms an IME composition is neither.
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) { event.preventDefault(); sendComposed(); }
  });
  input.addEventListener('input', () => { autosize(input); typingOut.input(input.value); });
  input.addEventListener('blur', () => typingOut.stop());

  const scroller = $('message-scroller');
  scroller.addEventListener('scroll', () => {
    if (scroller.scrollTop < 40) loadOlder();
    if (isNearBottom()) $('jump-latest').hidden = true;
  }, { passive: true });
  $('load-older').addEventListener('click', loadOlder);
  $('jump-latest').addEventListener('click', () => { scrollToBottom(); input.focus(); });

  $('order-form').addEventListener('submit', placeOrder);
  $('order-form').addEventListener('input', updateOrderTotal);
  $('order-currency').addEventListener('change', currencyChanged);
  $('older-orders').addEventListener('click', loadOlderOrders);
  $('add-item').addEventListener('click', () => addItemRow().querySelector('input').focus());
  addItemRow();

  // Back online, or back to a tab the browser throttled: do not wait for the backoff.
  window.addEventListener('online', reconnectNow);
  document.addEventListener('visibilitychange', () => { if (!document.hidden && live.state === 'offline') reconnectNow(); });
  window.addEventListener('pagehide', () => typingOut.stop());
}

async function main() {
  wire();
  let stored = loadSession();
  if (stored && stored.minted && stored.expiresAt && stored.expiresAt < Date.now() + 60000) {
    // A reload after the tab slept past the token's expiry: a fresh one for the same user.
    stored = await mintToken(stored.user, stored.roles).catch(() => null);
  }
  if (stored && (!stored.expiresAt || stored.expiresAt > Date.now())) {
    startSession(stored);
  } else {
    saveSession(null);
    $('sign-in-user').focus();
  }
}

main();
