// One message as a Telegram app draws it: sender, quoted reply, media, formatted text or rich
// blocks, time, inline keyboard and reactions; a streamed draft with its Stop button. Pure DOM
// building; the caller decides where it goes.

import { escapeHtml, formatText } from "./format.js";
import { richBlocks, richPlainText } from "./rich.js";

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
  const text = message.text || message.caption || (isRich(message) && richPlainText(message.rich_message.blocks));
  if (text) return text.split("\n")[0];
  if (message.voice) return t("voice_message");
  if (message.photo) return t("photo");
  if (message.video) return t("video");
  if (message.animation) return "GIF";
  if (message.document) return message.document.file_name || t("file");
  return "…";
}

function isRich(message) {
  return Boolean(message.rich_message && Array.isArray(message.rich_message.blocks));
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
  img.title = "⤢";
  return img;
}

const VIDEO_SIDE = 360; // px: the longer side of a clip in the chat, as photos are shown

/** A clip's size in the chat: its own ratio (width/height from sendVideo), at most VIDEO_SIDE. */
function fitted(width, height) {
  if (!width || !height) return null;
  const scale = Math.min(1, VIDEO_SIDE / Math.max(width, height));
  return [Math.round(width * scale), Math.round(height * scale)];
}

/** A video plays inline with its controls; an animation (a GIF) loops by itself, muted. */
export function videoElement(message, t) {
  const clip = message.video || message.animation;
  const animated = !message.video;
  const box = el("div", "video-box");
  const video = el("video", "video");
  video.dataset.testid = "video";
  video.dataset.messageId = message.message_id;
  video.setAttribute("playsinline", "");
  video.playsInline = true;
  video.preload = "metadata";
  video.src = fileUrl(clip.file_id);
  video.title = animated ? "GIF" : t("video");
  if (animated) {
    video.muted = video.loop = video.autoplay = true;
  } else {
    video.controls = true;
  }
  const size = fitted(clip.width, clip.height);
  if (size) [video.width, video.height] = size; // the page keeps the ratio before it loads
  box.append(video);
  const badge = el("span", "video-duration", animated ? "GIF" : duration(clip.duration));
  badge.dataset.testid = "video-duration";
  box.append(badge);
  return box;
}

function mediaElement(message, t) {
  if (message.photo) return photoElement(message);
  if (message.video || message.animation) return videoElement(message, t);
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
  const file = message.document || message.audio;
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

export function keyboardElement(message, onPress, t) {
  let rows = message.reply_markup && message.reply_markup.inline_keyboard;
  if (message.invoice && !rows) {
    // Telegram draws its own Pay button under an invoice (Stars: "Pay ⭐ N"), in the app's language.
    const pay = { text: t("pay", { stars: message.invoice.total_amount }), invoice: message._invoice_slug };
    rows = [[pay]];
  }
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

function messageKind(message) {
  if (message.voice) return "voice";
  if (message.photo) return "photo";
  if (message.video) return "video";
  if (message.animation) return "animation";
  return message.text !== undefined || isRich(message) ? "text" : "file";
}

/** The body of a text or rich message (or a caption), the time at its end. */
function textElement(message, context, meta) {
  const { t } = context;
  const body = el("div", "text");
  body.dataset.testid = "text";
  if (isRich(message)) {
    body.classList.add("rich");
    if (message.rich_message.is_rtl) body.dir = "rtl";
    body.append(richBlocks(message.rich_message.blocks, context));
    // The time ends the last paragraph, as Telegram puts it; after a table or a formula, a
    // line of its own.
    const last = body.lastElementChild;
    (last && last.tagName === "P" ? last : body).append(meta);
    return body;
  }
  const paid = message.successful_payment || message.refunded_payment;
  if (paid) {
    body.textContent = t(message.successful_payment ? "paid" : "refunded", { stars: paid.total_amount });
    body.append(meta);
    return body;
  }
  if (message.invoice) {
    body.dataset.testid = "invoice";
    body.innerHTML = `🧾 <b>${escapeHtml(message.invoice.title)}</b><br>${escapeHtml(message.invoice.description)}`;
    body.append(meta);
    return body;
  }
  const text = message.text ?? message.caption;
  const entities = message.text !== undefined ? message.entities : message.caption_entities;
  body.innerHTML = formatText(text || "", entities);
  body.append(meta);
  return body;
}

// A message for one member of a group alone (Bot API 10.2): only its sender and receiver see
// it, so the page draws it in their view of the group only, with this note.
function ephemeralNote(t) {
  const note = el("div", "ephemeral-note");
  note.dataset.testid = "ephemeral-note";
  note.innerHTML = `<svg viewBox="0 0 24 24" width="14" height="14" aria-hidden="true"><path fill="none" stroke="currentColor" stroke-width="2" d="M2 12s3.6-7 10-7 10 7 10 7-3.6 7-10 7S2 12 2 12z"/><circle cx="12" cy="12" r="3" fill="currentColor"/></svg>`;
  note.append(t("only_you"));
  return note;
}

/**
 * The element of one message. `context`: { t, userId, isGroup, reactions, onPress, onReply,
 * onJump }.
 */
export function messageElement(message, context) {
  const { t } = context;
  const outgoing = message.from && message.from.id === context.userId;
  const ephemeral = message.ephemeral_message_id !== undefined;
  const node = el("div", `msg ${outgoing ? "out" : "in"}`);
  node.dataset.testid = "message";
  if (ephemeral) {
    node.classList.add("ephemeral");
    node.dataset.ephemeralId = message.ephemeral_message_id;
  } else {
    node.dataset.messageId = message.message_id;
  }
  node.dataset.from = message.from && message.from.is_bot ? "bot" : "user";
  node.dataset.kind = messageKind(message);
  if (isRich(message)) node.dataset.rich = "1";
  const bubble = el("div", "bubble");
  if (ephemeral) bubble.append(ephemeralNote(t));
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
  const meta = el("span", "meta");
  meta.textContent = `${message.edit_date ? `${t("edited")} ` : ""}${clock(message.date)}`;
  const paidNote = message.invoice || message.successful_payment || message.refunded_payment;
  const visual = message.photo || message.video || message.animation;
  if (!text && !isRich(message) && !paidNote && media && !visual) {
    media.append(meta); // a voice note or a file without caption: the time sits beside it
  } else {
    bubble.append(textElement(message, context, meta));
  }
  node.append(bubble);
  const keyboard = keyboardElement(message, context.onPress, t);
  if (keyboard) node.append(keyboard);
  const reaction = context.reactions;
  if (reaction && reaction.length) {
    const chip = el("div", "reactions");
    chip.dataset.testid = "reactions";
    chip.textContent = reaction.map((r) => r.emoji || "★").join(" ");
    node.append(chip);
  }
  if (ephemeral) return node; // an ephemeral message can only be answered ephemerally
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

/**
 * The element of a streamed draft (the answer as it is being written): its rich blocks or its
 * formatted text, and a Stop button when the bot offered one. `context`: { t, onStop }.
 */
export function draftElement(draft, context) {
  const node = el("div", "msg in draft");
  node.dataset.testid = "draft";
  node.dataset.draftId = draft.draft_id;
  const bubble = el("div", "bubble");
  const body = el("div", "text");
  if (Array.isArray(draft.blocks)) {
    body.classList.add("rich");
    body.append(richBlocks(draft.blocks, context));
  } else {
    body.innerHTML = formatText(draft.text || "", draft.entities);
  }
  bubble.append(body);
  node.append(bubble);
  if (draft.can_stop && !draft.stopped) {
    const stop = el("button", "stop-button");
    stop.type = "button";
    stop.dataset.testid = "stop-button";
    stop.innerHTML = `<svg viewBox="0 0 24 24" width="14" height="14" aria-hidden="true"><rect x="6" y="6" width="12" height="12" rx="2" fill="currentColor"/></svg>`;
    stop.append(context.t("stop"));
    stop.addEventListener("click", () => {
      stop.disabled = true; // pressed once: the bot is told, the draft goes
      context.onStop(draft);
    });
    node.append(stop);
  }
  return node;
}
