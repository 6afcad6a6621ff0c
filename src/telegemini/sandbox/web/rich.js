// Rich messages (Bot API 10.1) as a Telegram app draws them: the blocks of a message's
// rich_message, or of a rich draft, become DOM. Headings, paragraphs with inline formatting,
// lists with their labels, bordered tables, code, quotes, dividers, media, details and (drafts
// only) collapsed thinking blocks. Formulas are typeset by KaTeX, shipped in vendor/katex and
// loaded by index.html as the global `katex`; without it the LaTeX source is shown as code.
//
// Everything is built with DOM calls and textContent, never from HTML strings: a message's text
// cannot inject markup.

import { safeUrl } from "./format.js";

const WRAPPERS = {
  bold: "b",
  italic: "i",
  underline: "u",
  strikethrough: "s",
  subscript: "sub",
  superscript: "sup",
  marked: "mark",
  code: "code",
};
const MEDIA = ["photo", "video", "animation", "audio", "voice_note", "document"];
const VALIGN = { top: "top", middle: "middle", bottom: "bottom" };

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function fileHref(fileId, download = false) {
  return `/sim/file/${encodeURIComponent(fileId)}${download ? "?download=1" : ""}`;
}

// --- formulas ------------------------------------------------------------------------------

/** A formula typeset by KaTeX: inline (`display` false) or as a block of its own. */
export function mathElement(expression, display) {
  const source = String(expression ?? "");
  const node = el(display ? "div" : "span", display ? "math math-block" : "math math-inline");
  node.dataset.testid = display ? "math-block" : "math";
  node.dataset.expression = source;
  const katex = globalThis.katex;
  try {
    if (!katex) throw new Error("KaTeX is not loaded");
    // throwOnError false: a formula KaTeX cannot parse is shown in red, as its source.
    katex.render(source, node, { displayMode: display, throwOnError: false, output: "htmlAndMathml" });
  } catch {
    node.replaceChildren(el("code", null, source));
  }
  return node;
}

// --- inline text ---------------------------------------------------------------------------

function linkTo(href, text) {
  const url = /^tel:[+\d()\s-]+$/i.test(href) ? href : safeUrl(href);
  const node = el(url ? "a" : "span");
  if (url) {
    node.href = url;
    node.target = "_blank";
    node.rel = "noopener noreferrer";
  }
  appendInline(node, text);
  return node;
}

function buttonElement(button) {
  const text = plainText(button && button.text);
  const url = button && button.url ? safeUrl(button.url) : null;
  if (url) {
    const link = el("a", "rich-button", text);
    link.href = url;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    return link;
  }
  // Only inline keyboards can be pressed in the sandbox; a rich button is shown, not pressed.
  const node = el("button", "rich-button", text);
  node.type = "button";
  node.disabled = true;
  return node;
}

function inlineObject(part) {
  const inner = (node) => {
    appendInline(node, part.text);
    return node;
  };
  const tag = WRAPPERS[part.type];
  if (tag) return inner(el(tag));
  switch (part.type) {
    case "spoiler": {
      const node = inner(el("span", "spoiler"));
      node.dataset.testid = "spoiler";
      return node;
    }
    case "mathematical_expression":
      return mathElement(part.expression, false);
    case "url":
      return linkTo(part.url, part.text);
    case "email_address":
      return linkTo(`mailto:${part.email_address}`, part.text);
    case "phone_number":
      return linkTo(`tel:${part.phone_number}`, part.text);
    case "mention":
    case "text_mention":
      return inner(el("span", "mention"));
    case "hashtag":
    case "cashtag":
      return inner(el("span", "hashtag"));
    case "bot_command": {
      const command = String(part.bot_command || plainText(part.text));
      const node = inner(el("a", "command"));
      node.href = "#";
      node.dataset.command = command.startsWith("/") ? command : `/${command}`;
      return node;
    }
    case "custom_emoji":
      return document.createTextNode(part.alternative_text || "");
    case "date_time": {
      const node = inner(el("time"));
      if (Number.isFinite(part.unix_time)) node.dateTime = new Date(part.unix_time * 1000).toISOString();
      return node;
    }
    case "reference_link":
      return inner(el("sup", "reference-link"));
    case "button":
      return buttonElement(part.button);
    case "anchor":
      return document.createTextNode("");
    default:
      return inner(el("span")); // reference, anchor_link, bank_card_number ... : their text
  }
}

/** Append RichText (a string, an object, or an array of them) to `parent`. */
export function appendInline(parent, text) {
  if (text === null || text === undefined) return;
  if (Array.isArray(text)) {
    for (const part of text) appendInline(parent, part);
  } else if (typeof text === "object") {
    parent.append(inlineObject(text));
  } else {
    parent.append(String(text));
  }
}

function withText(node, text) {
  appendInline(node, text);
  return node;
}

// --- plain text (quotes, the reply bar) ------------------------------------------------------

/** RichText as plain text (formulas as their source). */
export function plainText(text) {
  if (text === null || text === undefined) return "";
  if (Array.isArray(text)) return text.map(plainText).join("");
  if (typeof text !== "object") return String(text);
  if ("expression" in text) return String(text.expression);
  if ("alternative_text" in text) return String(text.alternative_text);
  if (text.type === "button") return plainText(text.button && text.button.text);
  return plainText(text.text);
}

function blockLines(block) {
  switch (block.type) {
    case "list":
      return (block.items || []).map((item) => `${item.label || "•"} ${richPlainText(item.blocks)}`);
    case "table":
      return (block.cells || []).map((row) => row.map((cell) => plainText(cell.text)).join(" | "));
    case "blockquote":
    case "collage":
    case "slideshow":
      return [richPlainText(block.blocks)];
    case "details":
      return [plainText(block.summary), richPlainText(block.blocks)];
    case "mathematical_expression":
      return [String(block.expression ?? "")];
    case "divider":
      return ["———"];
    default:
      if (MEDIA.includes(block.type)) return [plainText(block.caption && block.caption.text) || `[${block.type}]`];
      return [plainText(block.text)];
  }
}

/** The blocks as plain text, one line per paragraph, list item or table row. */
export function richPlainText(blocks) {
  return (blocks || []).flatMap(blockLines).join("\n");
}

// --- blocks --------------------------------------------------------------------------------

function credit(node, text) {
  if (text) node.append(withText(el("cite", "rich-credit"), text));
  return node;
}

function caption(node, value, tag = "figcaption") {
  if (!value) return node;
  const box = withText(el(tag, "rich-caption"), value.text ?? value);
  if (value.credit) credit(box, value.credit);
  node.append(box);
  return node;
}

function listLabel(item, position) {
  if (item.label) return item.label;
  if (item.type || item.value !== undefined) return `${item.value ?? position}.`; // a draft's input
  return "•";
}

function listElement(block, context) {
  const list = el("ul", "rich-list");
  (block.items || []).forEach((item, index) => {
    const entry = el("li");
    entry.append(el("span", "rich-label", listLabel(item, index + 1)), " ");
    if (item.has_checkbox) {
      const box = el("input", "rich-check");
      box.type = "checkbox";
      box.checked = Boolean(item.is_checked);
      box.disabled = true;
      entry.append(box, " ");
    }
    const body = el("div", "rich-item");
    body.append(richBlocks(item.blocks, context));
    entry.append(body);
    list.append(entry);
  });
  return list;
}

function cellElement(cell) {
  const node = el(cell.is_header ? "th" : "td");
  if (cell.colspan > 1) node.colSpan = cell.colspan;
  if (cell.rowspan > 1) node.rowSpan = cell.rowspan;
  if (["left", "center", "right"].includes(cell.align)) node.style.textAlign = cell.align;
  if (VALIGN[cell.valign]) node.style.verticalAlign = VALIGN[cell.valign];
  return withText(node, cell.text);
}

function tableElement(block) {
  const wrap = el("div", "rich-table-wrap");
  const table = el("table", "rich-table");
  table.dataset.testid = "rich-table";
  table.classList.toggle("striped", Boolean(block.is_striped));
  table.classList.toggle("compact", Boolean(block.is_compact));
  if (block.caption) table.append(withText(el("caption"), block.caption));
  const rows = (block.cells || []).filter(Array.isArray);
  // Leading rows of header cells only are the table's head.
  let headRows = 0;
  while (headRows < rows.length && rows[headRows].length && rows[headRows].every((c) => c.is_header)) headRows++;
  const head = el("thead");
  const body = el("tbody");
  rows.forEach((row, index) => {
    const line = el("tr");
    for (const cell of row) line.append(cellElement(cell || {}));
    (index < headRows ? head : body).append(line);
  });
  if (headRows) table.append(head);
  table.append(body);
  wrap.append(table);
  return wrap;
}

function mediaBlock(block) {
  const kind = block.type;
  const value = block[kind];
  const figure = el("figure", `rich-media rich-${kind}`);
  const file = Array.isArray(value) ? value[value.length - 1] : value;
  if (!file || !file.file_id) {
    figure.append(el("span", "rich-missing", `[${kind}]`));
  } else if (kind === "photo") {
    const img = el("img", "photo");
    img.src = fileHref(file.file_id);
    img.alt = plainText(block.caption && block.caption.text) || "photo";
    img.loading = "lazy";
    figure.append(img);
  } else if (kind === "audio" || kind === "voice_note") {
    const audio = el("audio");
    audio.controls = true;
    audio.preload = "none";
    audio.src = fileHref(file.file_id);
    figure.append(audio);
  } else if (kind === "video" || kind === "animation") {
    const video = el("video");
    video.controls = kind === "video";
    video.muted = video.loop = video.autoplay = kind === "animation";
    video.src = fileHref(file.file_id);
    figure.append(video);
  } else {
    const link = el("a", "document", file.file_name || kind);
    link.href = fileHref(file.file_id, true);
    link.download = file.file_name || "";
    figure.append(link);
  }
  return caption(figure, block.caption);
}

function blockElement(block, context) {
  switch (block.type) {
    case "paragraph":
      return withText(el("p"), block.text);
    case "heading": {
      const size = Math.min(6, Math.max(1, Number(block.size) || 1));
      return withText(el(`h${size}`, "rich-heading"), block.text);
    }
    case "pre": {
      const code = withText(el("code"), block.text);
      if (block.language) code.className = `language-${block.language}`;
      const pre = el("pre");
      pre.append(code);
      return pre;
    }
    case "footer":
      return withText(el("footer", "rich-footer"), block.text);
    case "divider":
      return el("hr", "rich-divider");
    case "mathematical_expression":
      return mathElement(block.expression, true);
    case "list":
      return listElement(block, context);
    case "blockquote": {
      const quote = el("blockquote");
      quote.append(richBlocks(block.blocks, context));
      return credit(quote, block.credit);
    }
    case "expandable_blockquote":
      return credit(withText(el("blockquote", "expandable"), block.text), block.credit);
    case "pullquote":
      return credit(withText(el("aside", "rich-pullquote"), block.text), block.credit);
    case "collage":
    case "slideshow": {
      const box = el("div", `rich-${block.type}`);
      box.append(richBlocks(block.blocks, context));
      return caption(box, block.caption, "div");
    }
    case "table":
      return tableElement(block);
    case "details": {
      const details = el("details", "rich-details");
      details.open = Boolean(block.is_open);
      details.append(withText(el("summary"), block.summary), richBlocks(block.blocks, context));
      return details;
    }
    case "thinking": {
      const details = el("details", "rich-thinking"); // collapsed, as Telegram shows it
      details.dataset.testid = "thinking";
      details.append(el("summary", null, context.t("thinking")), withText(el("div"), block.text));
      return details;
    }
    case "map": {
      const { latitude, longitude } = block.location || {};
      return linkTo(`https://www.openstreetmap.org/?mlat=${latitude}&mlon=${longitude}`, `📍 ${latitude}, ${longitude}`);
    }
    case "buttons": {
      const row = el("div", "rich-buttons");
      if (block.align) row.style.justifyContent = { left: "flex-start", right: "flex-end" }[block.align] || "center";
      for (const button of block.buttons || []) row.append(buttonElement(button));
      return row;
    }
    case "anchor":
      return null;
    default:
      if (MEDIA.includes(block.type)) return mediaBlock(block);
      return block.text !== undefined ? withText(el("p"), block.text) : null;
  }
}

/** The DOM of rich blocks. `context`: { t } (the page's translator). */
export function richBlocks(blocks, context) {
  const fragment = document.createDocumentFragment();
  for (const block of blocks || []) {
    if (!block || typeof block !== "object") continue;
    const node = blockElement(block, context);
    if (node) fragment.append(node);
  }
  return fragment;
}
