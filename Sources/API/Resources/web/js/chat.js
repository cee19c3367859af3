// Chat: the room list, opening a room (history and subscription; joining is the join bar's
// separate step), older history, and the open room's live frames.

import { $, el } from './dom.js';
import { hideAlert, showAlert } from './alerts.js';
import { session } from './session.js';
import { read, query, ApiError } from './rest.js';
import { live } from './live-connection.js';
import { unwatchTopic, watchTopic } from './subscriptions.js';
import { chat, roomTopic, openRoomEntry } from './chat-state.js';
import { addMessage, scrollToBottom, addSystemLine } from './message-list.js';
import { typingOut, renderPresence, renderTyping } from './typing-presence.js';
import { outbox } from './outbox.js';
import { updateComposer } from './composer.js';
import { setRoomsOpen } from './views.js';

let roomListsAsked = 0; // numbers the room list reads, so that an older answer never replaces a newer one
let roomListShown = 0;

/**
 * The room list. `minEventId`: a membership event we know of (our own join, leave or new room,
 * or one the open room's subscription delivered); this list and every later one are read at
 * least up to it, so none can say we are not a member of a room we have just joined.
 */
export async function loadRooms(minEventId) {
  chat.roomsFloor = Math.max(chat.roomsFloor, Number(minEventId) || 0);
  const asked = ++roomListsAsked;
  const floor = chat.roomsFloor || null;
  const rooms = [];
  let after = null;
  // Every page; a server with thousands of rooms would want a search box instead.
  for (let page = 0; page < 20; page += 1) {
    const reply = await read(query('/v1/rooms', { limit: 500, after, min_event_id: page === 0 ? floor : null }));
    rooms.push(...reply.rooms);
    after = reply.next_after;
    if (!after) break;
  }
  if (asked < roomListShown) return; // a list asked for later is on screen already
  roomListShown = asked;
  chat.rooms = rooms;
  renderRooms();
}

function renderRooms() {
  const list = $('room-list');
  list.replaceChildren(...chat.rooms.map((room) => {
    const button = el('button', {
      type: 'button', class: 'room-button', dataset: { room: room.room_id, testid: 'room', member: String(Boolean(room.member)) },
      'aria-current': room.room_id === chat.current ? 'true' : null,
      onclick: () => openRoom(room.room_id, { focus: true }),
    },
    el('span', { class: 'room-name' }, room.name || room.room_id),
    room.visibility === 'private' ? el('span', { class: 'tag' }, 'private') : null,
    el('span', { class: 'room-members muted' }, `${room.member_count} ${room.member_count === 1 ? 'member' : 'members'}`));
    return el('li', {}, button);
  }));
  $('rooms-empty').hidden = chat.rooms.length > 0;
  renderRoomHeading();
}

/** The open room's name and visibility, which the room list may learn after the room opened. */
function renderRoomHeading() {
  const room = openRoomEntry();
  $('room-title').textContent = chat.current ? (room && room.name) || chat.current : 'No room open';
  $('room-visibility').hidden = !room;
  $('room-visibility').textContent = room ? room.visibility : '';
  $('add-member-form').hidden = !(room && room.visibility === 'private');
  updateComposer();
}

/**
 * Opens a room: loads its newest messages and subscribes from there. It never joins: a member
 * has nothing to join, and a public room can be read and subscribed to without membership
 * (contract section 10); the join bar offers joining for posting. A private room we are not a
 * member of answers 403 to the read.
 */
export async function openRoom(roomId, { focus = false } = {}) {
  if (chat.current === roomId && live.topics.has(roomTopic(roomId))) {
    if (focus) focusComposer();
    return;
  }
  if (chat.current && chat.current !== roomId) {
    typingOut.stop();
    unwatchTopic(roomTopic(chat.current));
  }
  const generation = ++chat.generation;
  chat.current = roomId;
  sessionStorage.setItem('tideline.room', roomId);
  resetConversation(roomId);
  renderRooms();
  setRoomsOpen(false); // on a phone the conversation needs the room; the toggle brings the list back
  try {
    // Only the room list says whether we are a member: a room opened by id that it does not
    // have (new, or one we were just added to) is looked for in a fresh list first.
    if (!openRoomEntry()) await loadRooms();
    const page = await read(query(`/v1/rooms/${encodeURIComponent(roomId)}/messages`, { limit: 50 }));
    if (generation !== chat.generation) return;
    hideAlert(); // an earlier complaint (say, about another room) no longer applies
    showHistory(page, { initial: true });
    watchTopic(roomTopic(roomId), resumePoint(page), roomFrame);
    if (!openRoomEntry()) loadRooms().catch(() => {}); // a room the list had not caught up with
    updateComposer();
    if (focus) focusComposer();
    fillHistory(generation);
  } catch (error) {
    if (generation !== chat.generation) return;
    chat.current = null;
    sessionStorage.removeItem('tideline.room');
    resetConversation(null);
    renderRooms();
    showAlert(error instanceof ApiError && error.status === 403
      ? `${roomId} is a private room: a member has to add you first.`
      : error instanceof ApiError && error.status === 404
        ? `There is no room ${roomId}.`
        : `Could not open ${roomId}: ${error.message}`);
  }
}

/**
 * Where the room's subscription starts: the page's `last_event_id`, the room's newest event when
 * the page was read (read before the messages, so never past them: what comes twice is dropped
 * by message id). A server before contract section 10 sends none: then after the newest
 * message, or from the start for an empty room.
 */
function resumePoint(page) {
  if (page.last_event_id !== undefined && page.last_event_id !== null) return Number(page.last_event_id);
  return page.messages.length ? Number(page.messages[page.messages.length - 1].event_id) : 0;
}

/** The message box for a member; the join bar's button for a room we only read. */
function focusComposer() {
  if ($('join-bar').hidden) $('message-input').focus(); else $('join-room').focus();
}

export function resetConversation(roomId) {
  chat.messageIds.clear();
  chat.typing.clear();
  chat.presence.clear();
  chat.nextBefore = null;
  chat.caughtUp = false;
  $('messages').replaceChildren();
  renderRoomHeading();
  $('room-actions').hidden = !roomId;
  $('presence').hidden = !roomId;
  if (!roomId) setRoomsOpen(true);
  $('no-room').hidden = Boolean(roomId);
  $('load-older').hidden = true;
  $('history-start').hidden = true;
  renderPresence();
  renderTyping();
  outbox.render();
  updateComposer();
}

/** Adds a page of history (oldest first) from GET …/messages. */
function showHistory(page, { initial = false } = {}) {
  const scroller = $('message-scroller');
  const heightBefore = scroller.scrollHeight;
  const topBefore = scroller.scrollTop;
  for (const message of page.messages) addMessage(message, { live: false });
  chat.nextBefore = page.next_before;
  $('load-older').hidden = !chat.nextBefore;
  $('history-start').hidden = Boolean(chat.nextBefore);
  if (initial) scrollToBottom();
  else scroller.scrollTop = topBefore + (scroller.scrollHeight - heightBefore); // keep what was on screen in place
}

export async function loadOlder() {
  if (!chat.current || !chat.nextBefore || chat.loadingOlder) return;
  const generation = chat.generation;
  chat.loadingOlder = true;
  $('load-older').textContent = 'Loading…';
  try {
    const page = await read(query(`/v1/rooms/${encodeURIComponent(chat.current)}/messages`, { limit: 50, before: chat.nextBefore }));
    if (generation === chat.generation) showHistory(page);
  } catch (error) {
    showAlert(`Could not load older messages: ${error.message}`);
  } finally {
    chat.loadingOlder = false;
    $('load-older').textContent = 'Load older messages';
  }
}

/** A short first page leaves no scroll bar, so "scroll to the top" could never load more. */
async function fillHistory(generation) {
  const scroller = $('message-scroller');
  if (scroller.clientHeight === 0) return; // not on screen (another view): nothing to fill
  for (let i = 0; i < 5 && generation === chat.generation && chat.nextBefore
       && scroller.scrollHeight <= scroller.clientHeight; i += 1) {
    await loadOlder();
  }
}

/** Frames of the open room's subscription. */
function roomFrame(kind, frame) {
  switch (kind) {
    case 'event': roomEvent(frame); break;
    case 'caught_up': chat.caughtUp = true; break;
    case 'typing':
      if (frame.user === session.user) return; // our own other tabs
      if (frame.state === 'started') chat.typing.add(frame.user); else chat.typing.delete(frame.user);
      renderTyping();
      break;
    case 'presence':
      chat.presence = new Set(frame.users);
      renderPresence();
      break;
    case 'presence_diff':
      for (const user of frame.leaves || []) chat.presence.delete(user);
      for (const user of frame.joins || []) chat.presence.add(user);
      renderPresence();
      break;
    case 'disconnected':
      // Typing and presence are not replayed: what we knew is stale until the next `presence`.
      chat.caughtUp = false;
      chat.typing.clear();
      chat.presence.clear();
      renderTyping();
      renderPresence();
      break;
    case 'refused':
      showAlert(`You can no longer read ${chat.current}: ${frame.message || frame.code}`);
      chat.current = null;
      sessionStorage.removeItem('tideline.room');
      resetConversation(null);
      loadRooms().catch(() => {});
      break;
    default: break;
  }
}

function roomEvent(envelope) {
  const data = envelope.data || {};
  switch (envelope.type) {
    case 'chat.message_posted':
      addMessage({ ...data, event_id: envelope.id, occurred_at: envelope.occurred_at }, { live: true });
      break;
    case 'chat.room_created':
      addSystemLine(envelope, `${data.created_by} created the room`);
      break;
    case 'chat.member_joined':
      addSystemLine(envelope, data.added_by && data.added_by !== data.user
        ? `${data.added_by} added ${data.user}` : `${data.user} joined`);
      if (data.user === session.user) ourMembership(true, envelope.id);
      membersChanged(envelope.id);
      break;
    case 'chat.member_left':
      addSystemLine(envelope, `${data.user} left`);
      if (data.user === session.user) ourMembership(false, envelope.id);
      membersChanged(envelope.id);
      break;
    default:
      break; // a type this page does not know: its id still counts as processed
  }
}

/**
 * We joined or left the open room (the join bar, another tab, a member adding us): the composer
 * or the join bar at once, without waiting for the room list, which is read at least up to the
 * event from now on.
 */
export function ourMembership(isMember, eventId) {
  chat.roomsFloor = Math.max(chat.roomsFloor, Number(eventId) || 0);
  const room = openRoomEntry();
  if (room) room.member = isMember;
  renderRooms();
}

let roomsRefresh = null;
let membersEventId = 0;

/** Member counts come only with the room list: fetch it again, once for a burst of joins. */
function membersChanged(eventId) {
  membersEventId = Math.max(membersEventId, Number(eventId));
  if (!chat.caughtUp || roomsRefresh) return;
  roomsRefresh = setTimeout(() => { roomsRefresh = null; loadRooms(membersEventId).catch(() => {}); }, 1000);
}
