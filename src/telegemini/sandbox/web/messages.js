// One message as a Telegram app draws it: sender, quoted reply, media, formatted text, time,
// inline keyboard and reactions. Pure DOM building; the caller decides where it goes.

import { escapeHtml, formatText } from "./format.js";

const SENDER_COLOURS = ["#e17076", "#2a9ef1", "#7bc862", "#ee7aae", "#faa774", "#6ec9cb", "#65aadd"];

export function fileUrl(fileId, download = false) {
  return `/sim/file/${encodeURIComponent(fileId)}${download ? "?download=1" : ""}`;
}

function clock(seconds) {
  const date = new Date(seconds * 1000);
  return `${String(date.getHours()).padStart(2, "0")}:${String(date.getMinutes()).padStart(2, "0")}`;
}

export function duration(seconds) {
  const whole = Math.max(0, Math.round(seconds || 0));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

function size(bytes) {
  if (!bytes) return "";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function senderName(user) {
  if (!user) return "";
  return [user.first_name, user.last_name].filter(Boolean).join(" ");
}

/** A one-line summary of a message (for quotes and the reply bar). */
export function snippet(message, t) {
  const text = message.text || message.caption;
  if (text) return text.split("\n")[0];
  if (message.voice) return t("voice_message");
  if (message.photo) return t("photo");
  if (message.document) return message.document.file_name || t("file");
  return "…";
}

function el(tag, className, html) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (html !== undefined) node.innerHTML = html;
  return node;
}

function largestPhoto(message) {
  const sizes = message.photo || [];
  return sizes[sizes.length - 1];
}

export function photoElement(message) {
  const photo = largestPhoto(message);
  const img = el("img", "photo");
  img.src = fileUrl(photo.file_id);
  img.alt = message.caption || "photo";
  img.dataset.testid = "photo";
  img.dataset.messageId = message.message_id;
  img.loading = "lazy";
  return img;
}

function mediaElement(message, t) {
  if (message.photo) return photoElement(message);
  if (message.voice) {
    const box = el("div", "voice");
    box.dataset.testid = "voice";
    const audio = el("audio");
    audio.controls = true;
    audio.preload = "none";
    audio.src = fileUrl(message.voice.file_id);
    audio.title = t("voice_message");
    box.append(audio, el("span", "duration", duration(message.voice.duration)));
    return box;
  }
  const file = message.document || message.audio || message.video || message.animation;
  if (file) {
    const link = el("a", "document");
    link.dataset.testid = "document";
    link.href = fileUrl(file.file_id, true);
    link.download = file.file_name || "";
    link.title = t("download");
    const name = escapeHtml(file.file_name || file.title || "file");
    link.innerHTML = `<span class="icon-doc"><svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true"><path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" d="M12 4v12M6 11l6 6 6-6M5 20h14"/></svg></span><span><div>${name}</div><div class="size">${size(file.file_size)}</div></span>`;
    return link;
  }
  return null;
}

export function quoteElement(replied, t, onJump) {
  const quote = el("div", "quote");
  quote.dataset.testid = "quote";
  quote.innerHTML = `<b>${escapeHtml(senderName(replied.from))}</b><span>${escapeHtml(snippet(replied, t))}</span>`;
  quote.addEventListener("click", () => onJump(replied.message_id));
  return quote;
}

export function keyboardElement(message, onPress) {
  const rows = message.reply_markup && message.reply_markup.inline_keyboard;
  if (!rows || !rows.length) return null;
  const keyboard = el("div", "keyboard");
  keyboard.dataset.testid = "keyboard";
  for (const row of rows) {
    const line = el("div", "row");
    for (const button of row) {
      const node = el("button");
      node.type = "button";
      node.textContent = button.text;
      node.dataset.testid = "inline-button";
      node.addEventListener("click", () => onPress(message, button));
      line.append(node);
    }
    keyboard.append(line);
  }
  return keyboard;
}

/**
 * The element of one message. `context`: { t, userId, isGroup, reactions, onPress, onReply,
 * onJump }.
 */
export function messageElement(message, context) {
  const { t } = context;
  const outgoing = message.from && message.from.id === context.userId;
  const node = el("div", `msg ${outgoing ? "out" : "in"}`);
  node.dataset.testid = "message";
  node.dataset.messageId = message.message_id;
  node.dataset.from = message.from && message.from.is_bot ? "bot" : "user";
  node.dataset.kind = message.voice ? "voice" : message.photo ? "photo" : message.text !== undefined ? "text" : "file";
  const bubble = el("div", "bubble");
  if (context.isGroup && !outgoing && message.from) {
    const sender = el("div", "sender");
    sender.textContent = senderName(message.from);
    sender.style.color = SENDER_COLOURS[Math.abs(message.from.id) % SENDER_COLOURS.length];
    bubble.append(sender);
  }
  if (message.reply_to_message) bubble.append(quoteElement(message.reply_to_message, t, context.onJump));
  const media = mediaElement(message, t);
  if (media) {
    if (message.media_group_id) {
      const grid = el("div", "album-grid");
      grid.dataset.testid = "album";
      grid.append(media);
      bubble.append(grid);
      node.dataset.album = message.media_group_id;
    } else {
      bubble.append(media);
    }
  }
  const text = message.text ?? message.caption;
  const entities = message.text !== undefined ? message.entities : message.caption_entities;
  const meta = el("span", "meta");
  meta.textContent = `${message.edit_date ? `${t("edited")} ` : ""}${clock(message.date)}`;
  if (!text && media && !message.photo) {
    media.append(meta); // a voice note or a file without caption: the time sits beside it
  } else {
    const body = el("div", "text", formatText(text || "", entities));
    body.dataset.testid = "text";
    body.append(meta);
    bubble.append(body);
  }
  node.append(bubble);
  const keyboard = keyboardElement(message, context.onPress);
  if (keyboard) node.append(keyboard);
  const reaction = context.reactions;
  if (reaction && reaction.length) {
    const chip = el("div", "reactions");
    chip.dataset.testid = "reactions";
    chip.textContent = reaction.map((r) => r.emoji || "★").join(" ");
    node.append(chip);
  }
  const reply = el("button", "reply-button", "↩");
  reply.type = "button";
  reply.title = t("reply");
  reply.dataset.testid = "reply-button";
  reply.addEventListener("click", () => context.onReply(message));
  node.append(reply);
  return node;
}

/** Add one more album item (a later message of the same media group) to an album element. */
export function addToAlbum(node, message, t) {
  const grid = node.querySelector(".album-grid");
  const media = mediaElement(message, t);
  if (!media) return;
  media.dataset.messageId = message.message_id;
  grid.append(media);
  if (message.caption) {
    const body = node.querySelector(".text");
    const meta = body.querySelector(".meta");
    body.innerHTML = formatText(message.caption, message.caption_entities);
    body.append(meta);
  }
}

/** The element of a streamed draft (the answer as it is being written). */
export function draftElement(draft) {
  const node = el("div", "msg in draft");
  node.dataset.testid = "draft";
  node.dataset.draftId = draft.draft_id;
  const bubble = el("div", "bubble");
  const body = el("div", "text", formatText(draft.text || "", draft.entities));
  bubble.append(body);
  node.append(bubble);
  return node;
}
