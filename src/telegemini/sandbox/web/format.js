// Message text + Bot API entities → HTML, as a Telegram app draws them.
//
// Entity offsets and lengths count UTF-16 code units; so do JavaScript strings, so slicing the
// text by them is exact, emoji included. Entities nest (bold inside a blockquote); one that
// crosses its parent's end is split there and continues after it.

const SAFE_SCHEMES = /^(https?:|mailto:|tg:)/i;

export function escapeHtml(text) {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

export function safeUrl(url) {
  const value = String(url || "").trim();
  if (SAFE_SCHEMES.test(value)) return value;
  if (/^[\w.-]+\.[a-z]{2,}(\/|$)/i.test(value)) return `http://${value}`;
  return null;
}

function link(href, inner, extra = "") {
  const url = safeUrl(href);
  if (!url) return inner;
  return `<a href="${escapeHtml(url)}" target="_blank" rel="noopener noreferrer"${extra}>${inner}</a>`;
}

function wrap(entity, inner, covered) {
  switch (entity.type) {
    case "bold":
      return `<b>${inner}</b>`;
    case "italic":
      return `<i>${inner}</i>`;
    case "underline":
      return `<u>${inner}</u>`;
    case "strikethrough":
      return `<s>${inner}</s>`;
    case "spoiler":
      return `<span class="spoiler" data-testid="spoiler">${inner}</span>`;
    case "code":
      return `<code>${inner}</code>`;
    case "pre": {
      const language = entity.language ? ` class="language-${escapeHtml(entity.language)}"` : "";
      return `<pre><code${language}>${inner}</code></pre>`;
    }
    case "blockquote":
      return `<blockquote>${inner}</blockquote>`;
    case "expandable_blockquote":
      return `<blockquote class="expandable">${inner}</blockquote>`;
    case "text_link":
      return link(entity.url, inner);
    case "url":
      return link(covered, inner);
    case "email":
      return link(`mailto:${covered}`, inner);
    case "mention":
      return `<span class="mention">${inner}</span>`;
    case "text_mention":
      return `<span class="mention">${inner}</span>`;
    case "hashtag":
    case "cashtag":
      return `<span class="hashtag">${inner}</span>`;
    case "bot_command":
      return `<a href="#" class="command" data-command="${escapeHtml(covered)}">${inner}</a>`;
    default:
      return inner;
  }
}

function byPosition(a, b) {
  return a.offset - b.offset || b.length - a.length;
}

function render(text, entities, start, end) {
  let html = "";
  let position = start;
  const pending = entities.slice().sort(byPosition);
  while (pending.length) {
    const entity = pending.shift();
    const entityEnd = entity.offset + entity.length;
    if (entity.length <= 0 || entity.offset < position || entityEnd > end) continue;
    html += escapeHtml(text.slice(position, entity.offset));
    const children = [];
    const rest = [];
    for (const other of pending) {
      if (other.offset >= entityEnd) {
        rest.push(other);
      } else if (other.offset + other.length <= entityEnd) {
        children.push(other);
      } else {
        // Crosses the end: the inside part nests, the outside part continues afterwards.
        children.push({ ...other, length: entityEnd - other.offset });
        rest.push({ ...other, offset: entityEnd, length: other.offset + other.length - entityEnd });
      }
    }
    pending.length = 0;
    pending.push(...rest.sort(byPosition));
    const covered = text.slice(entity.offset, entityEnd);
    html += wrap(entity, render(text, children, entity.offset, entityEnd), covered);
    position = entityEnd;
  }
  return html + escapeHtml(text.slice(position, end));
}

/** HTML for a message text (or caption) and its entities. */
export function formatText(text, entities) {
  if (!text) return "";
  return render(text, entities || [], 0, text.length);
}
