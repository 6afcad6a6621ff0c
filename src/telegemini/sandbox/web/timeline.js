// The open chat's message list: messages in id order, albums drawn as one element, the group's
// ephemeral messages (in the view of their sender and receiver only), and streamed drafts at the
// end. It keeps the page's state up to date for every chat and redraws the open one.

import { addToAlbum, draftElement, messageElement } from "./messages.js";

const $ = (selector) => document.querySelector(selector);

function nearBottom(list) {
  return list.scrollHeight - list.scrollTop - list.clientHeight < 80;
}

// "New message ↓": something arrived below what the user is looking at (they had scrolled up,
// say to press a button under an older message). It goes once they are at the bottom again.
function markNewBelow(on) {
  $("#new-below").hidden = !on;
}

function byId(a, b) {
  return a.message_id - b.message_id;
}

/**
 * `app`: { state, chatId(), messagesOf(id), context(), onStop(draft) }. `state` holds `chats`
 * (chat id → Map(message id → message)), `ephemeral` (chat id → Map(ephemeral id → message)),
 * `drafts` (chat id → Map(draft id → draft)), `reactions`, `actions` and `userId`.
 */
export function createTimeline(app) {
  const { state } = app;

  function list() {
    return $("#messages");
  }

  function insertInOrder(node, messageId, stick) {
    const later = [...list().querySelectorAll(".msg[data-message-id]")].find(
      (other) => other !== node && Number(other.dataset.messageId) > messageId,
    );
    list().insertBefore(node, later || list().querySelector(".draft"));
    if (stick) list().scrollTop = list().scrollHeight;
  }

  function contextFor(message) {
    return { ...app.context(), reactions: state.reactions.get(`${message.chat.id}:${message.message_id}`) };
  }

  // An album is one element drawn from every live message of its media group.
  function placeAlbum(group, chat, stick) {
    const existing = list().querySelector(`.msg[data-album="${CSS.escape(group)}"]`);
    const items = [...app.messagesOf(chat).values()].filter((m) => m.media_group_id === group).sort(byId);
    if (!items.length) {
      existing?.remove();
      return;
    }
    const node = messageElement(items[0], contextFor(items[0]));
    for (const item of items.slice(1)) addToAlbum(node, item, state.t);
    if (existing) existing.replaceWith(node);
    else insertInOrder(node, items[0].message_id, stick);
  }

  function placeMessage(message, stick) {
    if (message.media_group_id) {
      placeAlbum(message.media_group_id, message.chat.id, stick);
      return;
    }
    const node = messageElement(message, contextFor(message));
    const existing = list().querySelector(`.msg[data-message-id="${message.message_id}"]`);
    if (existing) existing.replaceWith(node);
    else insertInOrder(node, message.message_id, stick);
  }

  // --- ephemeral messages ------------------------------------------------------------------

  function ephemeralOf(id) {
    if (!state.ephemeral.has(id)) state.ephemeral.set(id, new Map());
    return state.ephemeral.get(id);
  }

  function visible(message) {
    const me = state.userId;
    return (message.receiver_user && message.receiver_user.id === me) || (message.from && message.from.id === me);
  }

  function ephemeralNode(id) {
    return list().querySelector(`.msg[data-ephemeral-id="${id}"]`);
  }

  function upsertEphemeral(chat, message) {
    ephemeralOf(chat).set(message.ephemeral_message_id, message);
    if (chat !== app.chatId() || !visible(message)) return;
    const stick = nearBottom(list());
    list().querySelector(".empty")?.remove();
    const node = messageElement(message, app.context());
    const existing = ephemeralNode(message.ephemeral_message_id);
    if (existing) existing.replaceWith(node);
    else list().insertBefore(node, list().querySelector(".draft")); // the newest: at the end
    if (stick) list().scrollTop = list().scrollHeight;
  }

  function removeEphemeral(chat, ephemeralId) {
    ephemeralOf(chat).delete(ephemeralId);
    if (chat === app.chatId()) ephemeralNode(ephemeralId)?.remove();
  }

  // --- drafts ------------------------------------------------------------------------------

  function draftNode(draft) {
    return draftElement(draft, { ...app.context(), onStop: app.onStop });
  }

  function showDraft(event) {
    document.body.dataset.drafts = String(Number(document.body.dataset.drafts || 0) + 1);
    if (!state.drafts.has(event.chat_id)) state.drafts.set(event.chat_id, new Map());
    state.drafts.get(event.chat_id).set(event.draft_id, event);
    if (event.chat_id !== app.chatId()) return;
    const stick = nearBottom(list());
    list().querySelector(".empty")?.remove();
    const node = draftNode(event);
    const existing = list().querySelector(`.draft[data-draft-id="${event.draft_id}"]`);
    if (existing) existing.replaceWith(node);
    else list().append(node);
    if (stick) list().scrollTop = list().scrollHeight;
  }

  // The user pressed Stop: the draft goes (or stays without its button, with keep_on_stop) until
  // the bot's message with what it had written replaces it.
  function stopDraft(event) {
    const drafts = state.drafts.get(event.chat_id);
    const draft = drafts && drafts.get(event.draft_id);
    if (!draft) return;
    if (event.keep_on_stop) draft.stopped = true;
    else drafts.delete(event.draft_id);
    if (event.chat_id !== app.chatId()) return;
    const node = list().querySelector(`.draft[data-draft-id="${event.draft_id}"]`);
    if (node && event.keep_on_stop) node.replaceWith(draftNode(draft));
    else node?.remove();
  }

  // --- the whole list ----------------------------------------------------------------------

  function render() {
    const messages = [...app.messagesOf(app.chatId()).values()].sort(byId);
    // Ephemeral messages have no message id: each goes after the messages older than it.
    const ephemeral = [...ephemeralOf(app.chatId()).values()].filter(visible);
    ephemeral.sort((a, b) => a.date - b.date || a.ephemeral_message_id - b.ephemeral_message_id);
    const node = list();
    node.innerHTML = "";
    if (!messages.length && !ephemeral.length) {
      const empty = document.createElement("div");
      empty.className = "empty";
      empty.textContent = state.t("empty");
      node.append(empty);
    }
    const context = app.context();
    for (const message of messages) {
      while (ephemeral.length && ephemeral[0].date < message.date) {
        node.append(messageElement(ephemeral.shift(), context));
      }
      placeMessage(message, false);
    }
    for (const message of ephemeral) node.append(messageElement(message, context));
    for (const draft of (state.drafts.get(app.chatId()) || new Map()).values()) node.append(draftNode(draft));
    node.scrollTop = node.scrollHeight;
    markNewBelow(false);
  }

  list().addEventListener("scroll", () => {
    if (nearBottom(list())) markNewBelow(false);
  });
  $("#new-below").addEventListener("click", () => {
    list().scrollTo({ top: list().scrollHeight, behavior: "smooth" });
    markNewBelow(false);
  });

  // `edited`: an edit (a progress line such as "🎬 Filming… 40 s") leaves the bot's chat
  // action showing, as in Telegram; a new message from the bot ends it.
  function upsert(id, message, edited = false) {
    app.messagesOf(id).set(message.message_id, message);
    const fromBot = message.from && message.from.is_bot;
    if (fromBot && !edited) {
      state.drafts.delete(id); // the answer landed: the draft is gone, as in Telegram
      state.actions.delete(id);
    }
    if (id !== app.chatId()) return;
    const stick = nearBottom(list()) || !fromBot;
    list().querySelector(".empty")?.remove();
    if (fromBot && !edited) list().querySelectorAll(".draft").forEach((node) => node.remove());
    const known = list().querySelector(`.msg[data-message-id="${message.message_id}"]`);
    placeMessage(message, stick);
    if (!stick && !known && !nearBottom(list())) markNewBelow(true);
  }

  function remove(id, messageId) {
    const gone = app.messagesOf(id).get(messageId);
    app.messagesOf(id).delete(messageId);
    if (id !== app.chatId()) return;
    if (gone && gone.media_group_id) {
      placeAlbum(gone.media_group_id, id, false);
      return;
    }
    list().querySelector(`.msg[data-message-id="${messageId}"]`)?.remove();
  }

  function showReaction(event) {
    state.reactions.set(`${event.chat_id}:${event.message_id}`, event.reaction);
    const message = app.messagesOf(event.chat_id).get(event.message_id);
    if (message && event.chat_id === app.chatId()) placeMessage(message, false);
  }

  return { render, upsert, remove, upsertEphemeral, removeEphemeral, showDraft, stopDraft, showReaction };
}
