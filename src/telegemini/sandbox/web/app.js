// The sandbox chat page: state from GET /sim/state, live changes from GET /sim/events (SSE),
// everything the user does through POST /sim/*. The fake Bot API is the single source of
// truth: even the user's own messages appear when its event comes back.

import { uiLanguage, translator } from "./i18n.js";
import { setupComposer } from "./composer.js";
import { senderName } from "./messages.js";
import { createTimeline } from "./timeline.js";
import { createOutbox } from "./outbox.js";

const $ = (selector) => document.querySelector(selector);
const ACTION_SHOWN_MS = 5000; // a chat action lasts five seconds or until the next message

const state = {
  bot: null,
  model: null,
  users: [],
  group: null,
  chats: new Map(), // chat id → Map(message id → message)
  ephemeral: new Map(), // chat id → Map(ephemeral message id → message), for whom it concerns
  commands: {}, // user id → [{command, description}]
  reactions: new Map(), // "chat:message" → reaction list
  drafts: new Map(), // chat id → Map(draft id → draft)
  actions: new Map(), // chat id → {action, until}
  userId: null,
  view: "private", // or "group"
  replyTo: null,
  t: translator("en"),
  loading: false,
  backlog: [],
};

// --- helpers -------------------------------------------------------------------------------

function user() {
  return state.users.find((u) => u.id === state.userId) || state.users[0];
}

function chatId() {
  return state.view === "group" ? state.group.id : state.userId;
}

function messagesOf(id) {
  if (!state.chats.has(id)) state.chats.set(id, new Map());
  return state.chats.get(id);
}

function toast(text, alert = false) {
  const node = $("#toast");
  node.textContent = text;
  node.classList.toggle("alert", alert);
  node.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (node.hidden = true), alert ? 4000 : 2500);
}

async function post(path, body) {
  const options = { method: "POST" };
  if (body instanceof FormData || body instanceof Blob) {
    options.body = body;
  } else {
    options.body = JSON.stringify(body);
    options.headers = { "Content-Type": "application/json" };
  }
  const response = await fetch(path, options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    toast(data.error || `${response.status}`);
    throw new Error(data.error || `${response.status}`);
  }
  return data;
}

// --- rendering -----------------------------------------------------------------------------

function applyLanguage() {
  const language = uiLanguage(user().language_code);
  state.t = translator(language);
  const t = state.t;
  document.documentElement.lang = language;
  document.title = t("title");
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of document.querySelectorAll("[data-i18n-title]")) node.title = t(node.dataset.i18nTitle);
  for (const node of document.querySelectorAll("[data-i18n-placeholder]")) {
    node.placeholder = t(node.dataset.i18nPlaceholder);
  }
  $("#input").placeholder =
    state.view === "group" ? t("placeholder_group", { bot: state.bot.username }) : t("placeholder");
  const banner = $("#model-banner");
  banner.textContent = state.model.demo ? t("demo_model") : t("real_model", { model: state.model.label });
  banner.classList.toggle("real", !state.model.demo);
  banner.dataset.demo = state.model.demo ? "1" : "0";
  const admin = state.users.find((u) => u.admin);
  $("#admin-note").hidden = !admin;
  if (admin) $("#admin-note").textContent = t("admin_note", { name: admin.first_name });
  $("#espeak-note").hidden = state.model.speaks !== false;
  $("#espeak-note").textContent = t("espeak_note");
  showSpeaker();
}

// --- sound: the speaker toggle mutes voice notes; when on, a new voice note from the bot plays

function soundOn() {
  return localStorage.getItem("sandbox.sound") !== "off";
}

function showSpeaker() {
  const on = soundOn();
  const button = $("#speaker");
  button.textContent = on ? "🔊" : "🔇";
  button.title = state.t(on ? "speaker_on" : "speaker_off");
  button.setAttribute("aria-pressed", String(on));
  document.body.dataset.sound = on ? "on" : "off";
  for (const audio of document.querySelectorAll("#messages audio")) audio.muted = !on;
}

function playVoice(message) {
  const node = $(`#messages .msg[data-message-id="${message.message_id}"] audio`);
  if (!node) return;
  node.muted = !soundOn();
  if (!soundOn()) return;
  node.preload = "auto";
  node.play().then(
    () => (node.dataset.played = "1"),
    () => {}, // the browser may refuse autoplay: the note is there to press
  );
}

function renderSidebar() {
  const select = $("#user-select");
  select.innerHTML = "";
  for (const person of state.users) {
    const option = document.createElement("option");
    option.value = person.id;
    option.textContent = `${person.first_name} (${person.language_code})${person.admin ? ` · ${state.t("admin_badge")}` : ""}`;
    option.selected = person.id === state.userId;
    select.append(option);
  }
  const list = $("#chat-list");
  list.innerHTML = "";
  const entries = [
    { view: "private", name: state.bot.first_name, sub: state.t("private_chat"), avatar: "avatar" },
    { view: "group", name: state.group.title, sub: state.t("group_members", { n: state.users.length + 1 }), avatar: "avatar group" },
  ];
  for (const entry of entries) {
    const item = document.createElement("li");
    item.dataset.testid = `chat-${entry.view}`;
    item.classList.toggle("active", entry.view === state.view);
    item.innerHTML = `<div class="${entry.avatar}">${entry.name.slice(0, 1)}</div><div><div class="chat-name"></div><div class="chat-sub"></div></div>`;
    item.querySelector(".chat-name").textContent = entry.name;
    item.querySelector(".chat-sub").textContent = entry.sub;
    item.addEventListener("click", () => switchTo(state.userId, entry.view));
    list.append(item);
  }
}

function renderHeader() {
  const t = state.t;
  const group = state.view === "group";
  $("#chat-title").textContent = group ? state.group.title : state.bot.first_name;
  const avatar = $("#chat-avatar");
  avatar.className = group ? "avatar group" : "avatar";
  avatar.textContent = (group ? state.group.title : state.bot.first_name).slice(0, 1);
  const status = $("#chat-status");
  const action = state.actions.get(chatId());
  if (action && action.until > Date.now()) {
    const doing = t(action.action);
    status.textContent = group ? t("is_doing", { name: state.bot.first_name, action: doing }) : doing;
    status.classList.add("active");
    status.dataset.action = action.action;
  } else {
    status.textContent = group ? t("group_members", { n: state.users.length + 1 }) : t("bot");
    status.classList.remove("active");
    delete status.dataset.action;
  }
}

function context() {
  return {
    t: state.t,
    userId: state.userId,
    isGroup: state.view === "group",
    onPress: pressButton,
    onReply: setReply,
    onJump: jumpTo,
  };
}

function renderAll() {
  applyLanguage();
  renderSidebar();
  renderHeader();
  timeline.render();
  outbox.draw();
  showSpeaker();
  composer.refresh();
}

// --- what the user does --------------------------------------------------------------------

function switchTo(userId, view) {
  state.userId = userId;
  state.view = view;
  state.replyTo = null;
  localStorage.setItem("sandbox.user", String(userId));
  localStorage.setItem("sandbox.view", view);
  renderAll();
}

function setReply(message) {
  state.replyTo = message;
  composer.refresh();
  $("#input").focus();
}

function jumpTo(messageId) {
  const node = $(`#messages .msg[data-message-id="${messageId}"]`);
  if (!node) return;
  node.scrollIntoView({ block: "center", behavior: "smooth" });
  node.classList.add("flash");
  setTimeout(() => node.classList.remove("flash"), 1200);
}

async function pressButton(message, button) {
  // Telegram Stars: an invoice's Pay button, or a subscription's invoice link (t.me/$…), pays
  // in the sandbox (the pre-checkout, then the payment).
  const invoice = button.invoice || (button.url && /^https:\/\/t\.me\/\$/.test(button.url) ? button.url : null);
  if (invoice) {
    await post("/sim/pay", { user_id: state.userId, invoice });
    return;
  }
  if (button.url) {
    if (/^(https?|tg):/i.test(button.url)) window.open(button.url, "_blank", "noopener");
    return;
  }
  if (button.callback_data === undefined) return;
  await post("/sim/press", {
    user_id: state.userId,
    chat_id: message.chat.id,
    message_id: message.message_id,
    ephemeral_message_id: message.ephemeral_message_id ?? null,
    data: button.callback_data,
  });
}

async function pressStop(draft) {
  try {
    await post("/sim/stop", { user_id: draft.chat_id, draft_id: draft.draft_id });
  } catch {
    // Too late (the answer has just landed): the toast said so.
  }
}

// --- live updates --------------------------------------------------------------------------

function showAction(event) {
  const until = Date.now() + ACTION_SHOWN_MS;
  state.actions.set(event.chat_id, { action: event.action, until });
  if (event.chat_id === chatId()) renderHeader();
  setTimeout(renderHeader, ACTION_SHOWN_MS + 50);
}

async function loadCommands() {
  const response = await fetch("/sim/state");
  state.commands = (await response.json()).commands;
}

async function loadState() {
  state.loading = true;
  try {
    const data = await (await fetch("/sim/state")).json();
    state.bot = data.bot;
    state.model = data.model;
    state.users = data.users;
    state.group = data.group;
    state.commands = data.commands;
    state.chats = new Map();
    for (const [id, messages] of Object.entries(data.chats)) {
      state.chats.set(Number(id), new Map(messages.map((m) => [m.message_id, m])));
    }
    state.ephemeral = new Map();
    for (const [id, messages] of Object.entries(data.ephemeral || {})) {
      state.ephemeral.set(Number(id), new Map(messages.map((m) => [m.ephemeral_message_id, m])));
    }
    if (!state.users.some((u) => u.id === state.userId)) state.userId = state.users[0].id;
    renderAll();
  } finally {
    state.loading = false;
  }
  const waiting = state.backlog.splice(0);
  waiting.forEach(handle);
  document.body.dataset.ready = "1";
}

function handle(event) {
  if (state.loading && event.type !== "hello") {
    state.backlog.push(event); // replayed once the snapshot is drawn (upserts are idempotent)
    return;
  }
  switch (event.type) {
    case "hello":
      $("#connection").hidden = true;
      loadState();
      break;
    case "message":
    case "edit":
      timeline.upsert(event.chat_id, event.message, event.type === "edit");
      if (event.chat_id === chatId()) renderHeader();
      if (event.type === "message" && event.message.voice && event.message.from?.is_bot && event.chat_id === chatId()) {
        playVoice(event.message);
      } else if (event.message.voice) {
        showSpeaker();
      }
      break;
    case "delete":
      timeline.remove(event.chat_id, event.message_id);
      break;
    case "ephemeral":
    case "ephemeral_edit":
      timeline.upsertEphemeral(event.chat_id, event.message);
      break;
    case "ephemeral_delete":
      timeline.removeEphemeral(event.chat_id, event.ephemeral_message_id);
      break;
    case "draft":
      timeline.showDraft(event);
      break;
    case "draft_stop":
      timeline.stopDraft(event);
      break;
    case "chat_action":
      showAction(event);
      break;
    case "reaction":
      timeline.showReaction(event);
      break;
    case "callback_answer":
      if (event.text) toast(event.text, event.show_alert);
      break;
    case "commands":
      loadCommands().then(() => composer.refresh());
      break;
    default:
      break;
  }
}

function connect() {
  const source = new EventSource("/sim/events");
  source.onmessage = (message) => handle(JSON.parse(message.data));
  source.onerror = () => {
    $("#connection").hidden = false;
  };
}

const timeline = createTimeline({
  state,
  chatId,
  messagesOf,
  context,
  onStop: pressStop,
});

const outbox = createOutbox({
  state,
  chatId,
  post,
  upsert: (id, message) => timeline.upsert(id, message),
});

const composer = setupComposer({
  state,
  chatId,
  user,
  post,
  toast,
  outbox,
  senderName,
  clearReply() {
    state.replyTo = null;
    composer.refresh();
  },
});

$("#user-select").addEventListener("change", (event) => switchTo(Number(event.target.value), state.view));
$("#speaker").addEventListener("click", () => {
  localStorage.setItem("sandbox.sound", soundOn() ? "off" : "on");
  showSpeaker();
});
$("#lightbox").addEventListener("click", () => ($("#lightbox").hidden = true));
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") $("#lightbox").hidden = true;
});
$("#messages").addEventListener("click", (event) => {
  const photo = event.target.closest("img.photo");
  if (photo) {
    $("#lightbox-image").src = photo.src; // the file at full size, fitted to the window
    $("#lightbox").hidden = false;
    return;
  }
  const spoiler = event.target.closest(".spoiler");
  if (spoiler) spoiler.classList.add("revealed");
  const command = event.target.closest("a.command");
  if (command) {
    event.preventDefault();
    composer.sendText(command.dataset.command);
  }
});

state.userId = Number(localStorage.getItem("sandbox.user")) || null;
state.view = localStorage.getItem("sandbox.view") === "group" ? "group" : "private";
connect();
