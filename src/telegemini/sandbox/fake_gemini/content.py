"""generateContent / streamGenerateContent / countTokens wire shapes (camelCase answers).

- Text: one candidate with `parts: [{"text"}]`, `finishReason: "STOP"` (or "MAX_TOKENS").
- Speech: `inlineData` `audio/L16;codec=pcm;rate=24000` (or `audio/wav` with the WAV option).
- Images: a text part then `inlineData` `image/png`.
- Safety block of a text prompt: no candidates, `promptFeedback: {"blockReason": "SAFETY"}`;
  of an image: a candidate without content and `finishReason: "IMAGE_SAFETY"`
  (`types.BlockedReason`, `types.FinishReason` in `google/genai/types.py`).
- Grounding: `candidates[0].groundingMetadata` with `webSearchQueries`, `searchEntryPoint`,
  `groundingChunks[].web{uri,title,domain}` (one URL twice) and `groundingSupports[]` whose
  `segment` offsets are UTF-8 byte offsets (`types.GroundingMetadata`).
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from .answer import BLOCK_MESSAGE, Answer
from .errors import error_body
from .media import PCM_MIME_GENERATE_CONTENT, PNG_MIME, WAV_MIME, encode_b64, wav_from_pcm
from .parsing import Json, Turn


def generate_response(answer: Answer, model: str, input_turns: list[Turn], *, wav: bool) -> Json:
    """The full (non-stream) GenerateContentResponse."""
    body = _envelope(model, input_turns, answer)
    if answer.blocked and answer.kind != "image":
        body["promptFeedback"] = {"blockReason": "SAFETY", "blockReasonMessage": BLOCK_MESSAGE}
        return body
    if answer.blocked:
        candidate: Json = {
            "finishReason": "IMAGE_SAFETY",
            "finishMessage": BLOCK_MESSAGE,
            "index": 0,
        }
        body["candidates"] = [candidate]
        return body
    parts: list[Json] = []
    if answer.text:
        parts.append({"text": answer.text})
    if answer.image_png is not None:
        parts.append({"inlineData": {"mimeType": PNG_MIME, "data": encode_b64(answer.image_png)}})
    if answer.speech_pcm is not None:
        parts.append(_audio_part(answer.speech_pcm, wav=wav))
    body["candidates"] = [_candidate(answer, parts, final=True)]
    return body


def stream_chunks(
    answer: Answer, model: str, input_turns: list[Turn], *, error: Json | None = None
) -> list[Json]:
    """The chunks of streamGenerateContent; the last one carries the last text, any media,
    finishReason and usage.

    With `error` (an injected mid-stream fault), a `[[stream_error]]` answer or a scripted
    finish "error", the stream stops after about half the text with an error chunk, which the
    SDK raises as an `errors.APIError`.
    """
    if answer.blocked:
        return [generate_response(answer, model, input_turns, wav=False)]
    chunks: list[Json] = []
    texts = answer.chunks if answer.text else []
    if error is not None or answer.stream_error or answer.finish == "error":
        kept = texts[: max(1, len(texts) // 2)]
        chunks.extend(_chunk(model, answer, [{"text": t}], final=False) for t in kept)
        chunks.append(error or error_body(500, "Internal error encountered mid-stream.", "google"))
        return chunks
    chunks.extend(_chunk(model, answer, [{"text": t}], final=False) for t in texts[:-1])
    final_parts: list[Json] = [{"text": texts[-1]}] if texts else []
    if answer.image_png is not None:
        image = {"mimeType": PNG_MIME, "data": encode_b64(answer.image_png)}
        final_parts.append({"inlineData": image})
    if answer.speech_pcm is not None:
        final_parts.append(_audio_part(answer.speech_pcm, wav=False))
    last = _chunk(model, answer, final_parts, final=True)
    last["usageMetadata"] = usage_metadata(input_turns, answer)
    chunks.append(last)
    return chunks


def count_tokens(turns: list[Turn]) -> Json:
    """`{"totalTokens": N}` at four characters a token (258 per media part)."""
    total = sum(len(t.text) // 4 + 1 for t in turns) + sum(258 for t in turns for _ in t.media)
    return {"totalTokens": total}


def usage_metadata(input_turns: list[Turn], answer: Answer) -> Json:
    prompt = sum(len(t.text) // 4 + 1 for t in input_turns)
    candidates = len(answer.text) // 4 + (1290 if answer.image_png is not None else 0)
    if answer.speech_pcm is not None:
        candidates += len(answer.speech_pcm) // 1500
    return {
        "promptTokenCount": prompt,
        "candidatesTokenCount": candidates,
        "totalTokenCount": prompt + candidates,
    }


def _envelope(model: str, input_turns: list[Turn], answer: Answer) -> Json:
    return {
        "usageMetadata": usage_metadata(input_turns, answer),
        "modelVersion": model,
        "responseId": secrets.token_urlsafe(12),
    }


def _chunk(model: str, answer: Answer, parts: list[Json], *, final: bool) -> Json:
    return {
        "candidates": [_candidate(answer, parts, final=final)],
        "modelVersion": model,
        "responseId": secrets.token_urlsafe(12),
    }


def _candidate(answer: Answer, parts: list[Json], *, final: bool) -> Json:
    candidate: Json = {"content": {"role": "model", "parts": parts}, "index": 0}
    if final:
        candidate["finishReason"] = "MAX_TOKENS" if answer.finish == "max_tokens" else "STOP"
        if answer.grounding is not None:
            candidate["groundingMetadata"] = grounding_metadata(answer)
        if answer.pages:
            candidate["urlContextMetadata"] = {
                "urlMetadata": [
                    {"retrievedUrl": p.url, "urlRetrievalStatus": _RETRIEVAL[p.status]}
                    for p in answer.pages
                ]
            }
    return candidate


_RETRIEVAL = {
    "success": "URL_RETRIEVAL_STATUS_SUCCESS",
    "error": "URL_RETRIEVAL_STATUS_ERROR",
    "paywall": "URL_RETRIEVAL_STATUS_PAYWALL",
    "unsafe": "URL_RETRIEVAL_STATUS_UNSAFE",
}


def grounding_metadata(answer: Answer) -> Json:
    """groundingMetadata for a grounded answer (each citation is its own chunk)."""
    grounding = answer.grounding
    if grounding is None:
        return {}
    chunks: list[Json] = []
    supports: list[Json] = []
    for index, citation in enumerate(grounding.citations):
        web = {
            "uri": citation.url,
            "title": citation.title,
            "domain": urlsplit(citation.url).hostname,
        }
        chunks.append({"web": web})
        segment = {"startIndex": citation.start, "endIndex": citation.end, "text": citation.segment}
        supports.append(
            {"segment": segment, "groundingChunkIndices": [index], "confidenceScores": [0.9]}
        )
    links = "".join(f"<a href='{url}'>{title}</a>" for url, title in grounding.unique_sources())
    return {
        "webSearchQueries": list(grounding.queries),
        "searchEntryPoint": {"renderedContent": f"<div class='fake-search'>{links}</div>"},
        "groundingChunks": chunks,
        "groundingSupports": supports,
    }


def _audio_part(pcm: bytes, *, wav: bool) -> Json:
    if wav:
        return {"inlineData": {"mimeType": WAV_MIME, "data": encode_b64(wav_from_pcm(pcm))}}
    return {"inlineData": {"mimeType": PCM_MIME_GENERATE_CONTENT, "data": encode_b64(pcm)}}


def model_from_path(tail: str) -> tuple[str, str]:
    """`"gemini-x:generateContent"` → ("gemini-x", "generateContent")."""
    model, _, action = tail.rpartition(":")
    return model.removeprefix("models/"), action
