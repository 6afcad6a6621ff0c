"""A fake Gemini API server (aiohttp) for tests, benchmarks and the offline sandbox.

The real google-genai SDK talks to it over HTTP::

    server = FakeGeminiServer()
    await server.start()  # port 0
    client = genai.Client(
        api_key="x",
        http_options=types.HttpOptions(
            base_url=server.url, retry_options=types.HttpRetryOptions(attempts=1)
        ),
    )

Endpoints under `/v1`, `/v1beta` and `/v1alpha`: Interactions `create` (JSON or SSE),
`get`, `cancel`, `delete`; `models/{model}:generateContent`, `:streamGenerateContent`,
`:countTokens`; the resumable Files API. Every call needs `x-goog-api-key`; the key
`"bad-key"` gets 400 INVALID_ARGUMENT "API key not valid…". Control endpoints for
non-Python tools: `GET /_fake/requests[?match=]`, `POST /_fake/faults` (Fault fields),
`POST /_fake/script` (ScriptedReply fields), `POST /_fake/reset`, `POST /_fake/forget`.

Default text answer: ``You said: {latest}`` plus ``Earlier you said: {t1} | {t2}`` when the
conversation (the `previous_interaction_id` chain, seeded steps or generateContent history)
has earlier user turns. Speech: a sine tone, 60 ms per input character (min 0.5 s), PCM
s16le mono 24 kHz, or WAV with `tts_format="wav"`. Images: a PNG of 1/16 of the requested
size (1K → 64 px long side). Magic tokens, scripted replies, faults, safety blocks and
grounding are described in `script`, `interactions` and `content`. A `MediaMaker`
(`hooks`) can replace the tone and the PNG: the sandbox's demo model speaks and draws.
"""

from .answer import SEARCH_SOURCES, split_chunks
from .hooks import ImageRequest, MediaMaker, SpeechRequest
from .interactions import StoredInteraction
from .media import (
    SAMPLE_RATE,
    ImageSizes,
    decode_b64,
    image_sizes,
    pcm_samples,
    png_dimensions,
    speech_seconds,
)
from .parsing import MediaBlock, Turn, user_turns
from .script import (
    MARKDOWN_REPLY,
    Fault,
    FaultQueue,
    RequestContext,
    Script,
    ScriptedReply,
    echo_reply,
    long_reply,
)
from .server import BAD_KEY, FakeGeminiServer
from .state import RecordedRequest, StoredFile

__all__ = [
    "BAD_KEY",
    "MARKDOWN_REPLY",
    "SAMPLE_RATE",
    "SEARCH_SOURCES",
    "FakeGeminiServer",
    "Fault",
    "FaultQueue",
    "ImageRequest",
    "ImageSizes",
    "MediaBlock",
    "MediaMaker",
    "RecordedRequest",
    "RequestContext",
    "Script",
    "ScriptedReply",
    "SpeechRequest",
    "StoredFile",
    "StoredInteraction",
    "Turn",
    "decode_b64",
    "echo_reply",
    "image_sizes",
    "long_reply",
    "pcm_samples",
    "png_dimensions",
    "speech_seconds",
    "split_chunks",
    "user_turns",
]
