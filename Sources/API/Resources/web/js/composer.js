// Chat: the message composer: usable while a room we are a member of is open (offline too; a
// room we only read shows the join bar instead), the server's length limit, and sending into
// the outbox.

import { $ } from './dom.js';
import { showAlert } from './alerts.js';
import { session } from './session.js';
import { live } from './live-connection.js';
import { chat, openRoomMembership } from './chat-state.js';
import { scrollToBottom } from './message-list.js';
import { typingOut } from './typing-presence.js';
import { outbox } from './outbox.js';

const MESSAGE_LIMIT = 4000; // grapheme clusters after trimming, as the server counts them

/** Length as the server counts it: grapheme clusters (where the browser can segment). */
function graphemeCount(text) {
  if (typeof Intl.Segmenter !== 'function') return [...text].length;
  let count = 0;
  for (const _ of new Intl.Segmenter().segment(text)) count += 1;
  return count;
}

export function updateComposer() {
  const open = Boolean(session && chat.current);
  const membership = open ? openRoomMembership() : null;
  // A public room we read without being a member: the server refuses our posts and typing, so
  // the composer gives way to the join bar (a member's own choice, not a side effect of writing).
  const reading = membership === false;
  $('composer').hidden = reading;
  $('join-bar').hidden = !reading;
  $('leave-room').hidden = reading;
  const ready = membership === true;
  $('message-input').disabled = !ready;
  $('send').disabled = !ready;
  // Writing stays possible offline: the outbox keeps the message until the connection is back.
  $('message-input').placeholder = !open ? 'Open a room to write'
    : !ready ? 'Opening the room…'
      : live.state === 'live' ? 'Write a message…' : 'Offline: sends when back';
}

export function sendComposed() {
  const input = $('message-input');
  const text = input.value.trim();
  if (!text || !chat.current || openRoomMembership() !== true) return;
  if (graphemeCount(text) > MESSAGE_LIMIT) {
    showAlert(`A message has at most ${MESSAGE_LIMIT} characters.`);
    return;
  }
  typingOut.stop();
  outbox.add(chat.current, text);
  input.value = '';
  autosize(input);
  scrollToBottom();
}

export function autosize(textarea) {
  textarea.style.height = 'auto'; // CSSOM, which the page's CSP allows (unlike style attributes)
  textarea.style.height = `${Math.min(textarea.scrollHeight, 160)}px`;
}
