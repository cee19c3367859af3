// Chat: the state of the open room, shared by the modules that show it (chat, message list,
// typing and presence, outbox, composer).

export const chat = {
  rooms: [],
  current: null,         // the open room's id
  generation: 0,         // bumped on every room switch, so late answers for another room are dropped
  nextBefore: null,      // event id for "load older", null when the beginning is loaded
  loadingOlder: false,
  messageIds: new Set(), // message ids shown, to drop a message that comes twice
  typing: new Set(),
  presence: new Set(),
  caughtUp: false,
};

export const roomTopic = (room) => `room:${room}`;
