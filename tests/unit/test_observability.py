from __future__ import annotations

import io
import json
import logging

from telegemini.observability import JsonFormatter, RedactingFormatter, Redactor

TOKEN = "987654321:AAFakeTokenWithEnoughCharactersToLookReal"


def _format(formatter: logging.Formatter, message: str, *args: object) -> str:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning(message, *args)
        try:
            raise RuntimeError(f"failed POST https://api.telegram.org/bot{TOKEN}/getMe")
        except RuntimeError:
            logger.exception("with traceback")
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_known_secrets_and_token_shapes_are_redacted_everywhere():
    redactor = Redactor(["my-gemini-key"])
    output = _format(
        RedactingFormatter(redactor), "url=%s key=%s", f"/bot{TOKEN}/sendMessage", "my-gemini-key"
    )
    assert TOKEN not in output
    assert "my-gemini-key" not in output
    assert output.count("[REDACTED]") >= 3


def test_json_lines_carry_extra_fields_and_are_redacted():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(Redactor([])))
    logger = logging.getLogger("test.json")
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.info("got %s", TOKEN, extra={"update_id": 7, "chat_id": 42})
    finally:
        logger.removeHandler(handler)
    line = json.loads(stream.getvalue())
    assert line["update_id"] == 7
    assert line["chat_id"] == 42
    assert TOKEN not in line["message"]
