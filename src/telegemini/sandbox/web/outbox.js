// Text messages on their way to the fake Telegram: shown at once as the user's own bubble, and
// when the server cannot take one (it is down, or refuses it) the bubble stays, marked "Not
// sent", with a Retry button. A message is never silently dropped.

const $ = (selector) => document.querySelector(selector);

/** `app`: { state, post(path, body), upsert(chatId, message) }. */
export function createOutbox(app) {
  const items = []; // { key, chatId, body, failed }
  let next = 1;

  function element(item) {
    const t = app.state.t;
    const node = document.createElement("div");
    node.className = `msg out pending${item.failed ? " failed" : ""}`;
    node.dataset.testid = "pending-message";
    node.dataset.key = String(item.key);
    const bubble = document.createElement("div");
    bubble.className = "bubble";
    const text = document.createElement("div");
    text.className = "text";
    text.textContent = item.body.text;
    const meta = document.createElement("span");
    meta.className = "meta";
    meta.textContent = item.failed ? `⚠ ${t("not_sent")}` : "🕓";
    if (item.failed) meta.dataset.testid = "not-sent";
    text.append(meta);
    bubble.append(text);
    node.append(bubble);
    if (item.failed) {
      const retry = document.createElement("button");
      retry.type = "button";
      retry.className = "retry-button";
      retry.dataset.testid = "retry";
      retry.textContent = t("retry");
      retry.addEventListener("click", () => attempt(item));
      node.append(retry);
    }
    return node;
  }

  /** Draw the open chat's unsent messages at the end of the list (after a full redraw too). */
  function draw() {
    const list = $("#messages");
    list.querySelectorAll(".msg.pending").forEach((node) => node.remove());
    const open = app.chatId();
    const mine = items.filter((item) => item.chatId === open && item.body.user_id === app.state.userId);
    if (mine.length) list.querySelector(".empty")?.remove();
    for (const item of mine) list.insertBefore(element(item), list.querySelector(".draft"));
    if (mine.length) list.scrollTop = list.scrollHeight;
  }

  async function attempt(item) {
    item.failed = false;
    draw();
    try {
      const data = await app.post("/sim/send", item.body);
      items.splice(items.indexOf(item), 1);
      if (data.message) app.upsert(item.chatId, data.message); // the event may come later
    } catch {
      item.failed = true; // the server is down or said no: keep it, with Retry
    }
    draw();
  }

  return {
    draw,
    /** Send a text message ({user_id, chat_id, text, reply_to}). */
    send(body) {
      const item = { key: next++, chatId: body.chat_id, body, failed: false };
      items.push(item);
      return attempt(item);
    },
  };
}
