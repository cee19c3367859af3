// Room actions from the chat view's forms: create a room, join the public room we are reading,
// add a member to a private room, leave the open room.

import { $ } from './dom.js';
import { IDENTIFIER } from './identifiers.js';
import { showAlert } from './alerts.js';
import { api, ApiError } from './rest.js';
import { unwatchTopic } from './subscriptions.js';
import { chat, roomTopic } from './chat-state.js';
import { loadRooms, openRoom, ourMembership, resetConversation } from './chat.js';
import { typingOut } from './typing-presence.js';

export function slugify(name) {
  return name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().trim()
    .replace(/[^a-z0-9_.-]+/g, '-').replace(/^[^a-z0-9]+/, '').replace(/-+$/, '').slice(0, 64);
}

export async function createRoom(event) {
  event.preventDefault();
  const roomId = $('new-room-id').value.trim();
  const name = $('new-room-name').value.trim();
  if (!IDENTIFIER.test(roomId)) { showAlert('A room id has letters, digits, _ . - and starts with a letter or digit.'); $('new-room-id').focus(); return; }
  try {
    const body = { room_id: roomId, visibility: $('new-room-visibility').value };
    if (name) body.name = name;
    const reply = await api('POST', '/v1/rooms', { body });
    $('create-room-form').reset();
    delete $('new-room-id').dataset.edited;
    await loadRooms(reply.event_id);
    await openRoom(roomId, { focus: true });
  } catch (error) {
    showAlert(error instanceof ApiError && error.status === 409 ? `A room ${roomId} exists already: open it instead.` : `Could not create the room: ${error.message}`);
  }
}

/** The join bar: become a member of the public room we are reading, so that we may post in it. */
export async function joinRoom() {
  const roomId = chat.current;
  if (!roomId) return;
  $('join-room').disabled = true;
  try {
    const joined = await api('POST', `/v1/rooms/${encodeURIComponent(roomId)}/join`);
    if (chat.current === roomId) {
      // Our join comes on the room's subscription too; the composer need not wait for it.
      ourMembership(true, joined.event_id);
      $('message-input').focus();
    }
    await loadRooms(joined.event_id); // its member count includes us now
  } catch (error) {
    showAlert(`Could not join ${roomId}: ${error.message}`);
  } finally {
    $('join-room').disabled = false;
  }
}

export async function addMember(event) {
  event.preventDefault();
  const user = $('add-member-user').value.trim();
  if (!IDENTIFIER.test(user) || !chat.current) return;
  try {
    await api('POST', `/v1/rooms/${encodeURIComponent(chat.current)}/members`, { body: { user } });
    $('add-member-form').reset();
  } catch (error) {
    showAlert(`Could not add ${user}: ${error.message}`);
  }
}

export async function leaveRoom() {
  const roomId = chat.current;
  if (!roomId) return;
  try {
    const reply = await api('POST', `/v1/rooms/${encodeURIComponent(roomId)}/leave`);
    typingOut.stop();
    unwatchTopic(roomTopic(roomId));
    chat.current = null;
    sessionStorage.removeItem('tideline.room');
    resetConversation(null);
    await loadRooms(reply.event_id);
  } catch (error) {
    showAlert(`Could not leave ${roomId}: ${error.message}`);
  }
}
