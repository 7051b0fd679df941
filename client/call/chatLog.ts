// The room's chat as this page has seen it: messages from the join result (the room's
// history) and from `chat` events, each once by id, in the order the room's owner stamped
// them. A resume brings the history again, and it may hold what was missed while the
// socket was down: those slot in by time, and what was already here is not repeated.
import type { ChatMessage } from '../../signaling/protocol.js';

/** Messages a page keeps; the oldest go first. */
export const CHAT_LOG_KEEP = 200;

export interface ChatLogChange {
  /** Where the message is in list() now; -1 when it made room only to be dropped itself. */
  index: number;
  /** How many of the messages listed before were dropped from the front. */
  dropped: number;
}

export class ChatLog {
  private readonly messages: ChatMessage[] = [];
  private readonly ids = new Set<string>();

  constructor(private readonly keep = CHAT_LOG_KEEP) {}

  /**
   * Adds a message unless it is here already (undefined then). Otherwise says where it went
   * in list() (-1 when it was older than all of a full log) and how many of the oldest
   * made room for it, so a view can make the same change.
   */
  add(message: ChatMessage): ChatLogChange | undefined {
    if (this.ids.has(message.id)) return undefined;
    let index = this.messages.length;
    while (index > 0 && (this.messages[index - 1] as ChatMessage).at > message.at) index--;
    this.messages.splice(index, 0, message);
    this.ids.add(message.id);
    let dropped = 0;
    let droppedItself = false;
    while (this.messages.length > this.keep) {
      const oldest = this.messages.shift() as ChatMessage;
      this.ids.delete(oldest.id);
      if (oldest === message) droppedItself = true;
      else dropped++;
    }
    return { index: droppedItself ? -1 : index - dropped, dropped };
  }

  list(): readonly ChatMessage[] {
    return this.messages;
  }
}
