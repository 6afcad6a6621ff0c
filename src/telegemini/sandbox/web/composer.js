// The bottom of the chat: text input, the command menu, replies, photo and file attachments,
// and voice recording (MediaRecorder; the server converts the recording to OGG/Opus).

import { duration, snippet } from "./messages.js";

const $ = (selector) => document.querySelector(selector);
const RECORDING_TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4", "audio/webm"];

export function setupComposer(app) {
  const input = $("#input");
  const sendButton = $("#send-button");
  const recordButton = $("#record-button");
  const fileInput = $("#file-input");
  const menu = $("#commands-menu");
  let files = [];
  let recording = null;

  const t = (...args) => app.state.t(...args);

  function target() {
    const reply = app.state.replyTo;
    return { user_id: app.state.userId, chat_id: app.chatId(), reply_to: reply ? reply.message_id : null };
  }

  function toggleSend() {
    const hasText = input.value.trim().length > 0;
    sendButton.hidden = !hasText;
    recordButton.hidden = hasText || recording !== null;
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
  }

  async function sendText(text) {
    const value = (text ?? input.value).trim();
    if (!value) return;
    if (text === undefined) input.value = "";
    toggleSend();
    const body = { ...target(), text: value };
    app.clearReply();
    await app.outbox.send(body);
  }

  // --- command menu ----------------------------------------------------------------------

  function renderMenu() {
    menu.innerHTML = "";
    const commands = app.state.commands[String(app.state.userId)] || [];
    $("#menu-button").hidden = commands.length === 0;
    const suffix = app.state.view === "group" ? `@${app.state.bot.username}` : "";
    for (const item of commands) {
      const entry = document.createElement("li");
      entry.dataset.testid = "command";
      entry.innerHTML = `<span class="cmd"></span><span class="desc"></span>`;
      entry.querySelector(".cmd").textContent = `/${item.command}`;
      entry.querySelector(".desc").textContent = item.description;
      entry.addEventListener("click", () => {
        menu.hidden = true;
        sendText(`/${item.command}${suffix}`);
      });
      menu.append(entry);
    }
  }

  $("#menu-button").addEventListener("click", (event) => {
    event.stopPropagation();
    menu.hidden = !menu.hidden;
  });
  document.addEventListener("click", (event) => {
    if (!menu.contains(event.target)) menu.hidden = true;
  });

  // --- replies ---------------------------------------------------------------------------

  function renderReply() {
    const reply = app.state.replyTo;
    $("#reply-bar").hidden = !reply;
    if (!reply) return;
    $("#reply-title").textContent = t("replying_to", { name: app.senderName(reply.from) });
    $("#reply-snippet").textContent = snippet(reply, t);
  }

  $("#reply-cancel").addEventListener("click", () => app.clearReply());

  // --- attachments -----------------------------------------------------------------------

  function renderAttachments() {
    const bar = $("#attach-bar");
    bar.hidden = files.length === 0;
    const thumbs = $("#attach-thumbs");
    thumbs.querySelectorAll("img").forEach((img) => URL.revokeObjectURL(img.src));
    thumbs.innerHTML = "";
    for (const file of files) {
      if (file.type.startsWith("image/")) {
        const img = document.createElement("img");
        img.src = URL.createObjectURL(file);
        thumbs.append(img);
      } else {
        const box = document.createElement("div");
        box.className = "file";
        box.textContent = file.name.split(".").pop();
        thumbs.append(box);
      }
    }
    $("#attach-caption").title = t("selected", { n: files.length });
  }

  function clearAttachments() {
    files = [];
    fileInput.value = "";
    $("#attach-caption").value = "";
    renderAttachments();
  }

  $("#attach-button").addEventListener("click", () => fileInput.click());
  fileInput.addEventListener("change", () => {
    files = [...fileInput.files];
    renderAttachments();
    if (files.length) $("#attach-caption").focus();
  });
  $("#attach-cancel").addEventListener("click", clearAttachments);

  async function sendAttachments() {
    if (!files.length) return;
    const form = new FormData();
    for (const [key, value] of Object.entries(target())) if (value !== null) form.append(key, String(value));
    form.append("caption", $("#attach-caption").value);
    for (const file of files) form.append("file", file, file.name);
    clearAttachments();
    app.clearReply();
    await app.post("/sim/photos", form);
  }

  $("#attach-send").addEventListener("click", sendAttachments);
  $("#attach-caption").addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      sendAttachments();
    }
  });

  // --- voice -----------------------------------------------------------------------------

  function showRecording(on) {
    $("#recording-bar").hidden = !on;
    recordButton.hidden = on;
    input.disabled = on;
  }

  async function startRecording() {
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch {
      app.toast(t("no_microphone"));
      return;
    }
    const mimeType = RECORDING_TYPES.find((type) => MediaRecorder.isTypeSupported(type));
    const recorder = new MediaRecorder(stream, mimeType ? { mimeType } : undefined);
    const chunks = [];
    const started = Date.now();
    const where = target();
    recording = { recorder, cancelled: false };
    const current = recording;
    const tick = () => {
      $("#recording-time").textContent = t("recording", { time: duration((Date.now() - started) / 1000) });
      $("#recording-time").dataset.seconds = String(Math.floor((Date.now() - started) / 1000));
    };
    tick();
    current.timer = setInterval(tick, 250);
    recorder.ondataavailable = (event) => event.data.size && chunks.push(event.data);
    recorder.onstop = async () => {
      clearInterval(current.timer);
      stream.getTracks().forEach((track) => track.stop());
      recording = null;
      showRecording(false);
      toggleSend();
      if (current.cancelled || !chunks.length) return;
      const blob = new Blob(chunks, { type: recorder.mimeType || "audio/webm" });
      const query = new URLSearchParams();
      for (const [key, value] of Object.entries(where)) if (value !== null) query.set(key, String(value));
      app.clearReply();
      await app.post(`/sim/voice?${query}`, blob);
    };
    recorder.start(250);
    showRecording(true);
  }

  function stopRecording(cancel) {
    if (!recording) return;
    recording.cancelled = cancel;
    recording.recorder.stop();
  }

  recordButton.addEventListener("click", startRecording);
  $("#recording-send").addEventListener("click", () => stopRecording(false));
  $("#recording-cancel").addEventListener("click", () => stopRecording(true));

  // --- text ------------------------------------------------------------------------------

  input.addEventListener("input", toggleSend);
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendText();
    }
  });
  $("#composer").addEventListener("submit", (event) => {
    event.preventDefault();
    sendText();
  });

  return {
    sendText,
    refresh() {
      renderMenu();
      renderReply();
      renderAttachments();
      toggleSend();
    },
  };
}
