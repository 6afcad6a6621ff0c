"""Images with the image model, end to end through the real aiogram and google-genai SDK."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from telegemini.sandbox.fake_telegram import FakeChat


@pytest.fixture(params=["polling", "webhook"])
async def image_bot(request, start_bot):
    return await start_bot(request.param, image_timeout=5.0)


def _image_requests(gemini) -> list[dict]:
    return [b for b in gemini.interaction_requests() if b.get("response_format")]


def _references(body: dict) -> list[bytes]:
    return [
        base64.b64decode(block["data"])
        for step in body["input"]
        for block in step.get("content", [])
        if block.get("type") == "image"
    ]


def _jpeg(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "JPEG"
    return image


def _png_bytes(color: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, format="PNG")
    return out.getvalue()


async def test_image_command_asks_for_2k_and_sends_a_jpeg_photo(image_bot, telegram, gemini, alice):
    telegram.send_text(alice, "/image 16:9 a harbour at dusk")
    [photo] = await telegram.wait_for_calls("sendPhoto", 1)
    [request] = _image_requests(gemini)
    assert request["model"] == "gemini-3-pro-image"
    assert request["response_format"] == [
        {"type": "image", "image_size": "2K", "aspect_ratio": "16:9"}
    ]
    image = _jpeg(photo.upload("photo").data)
    assert image.width > image.height  # 16:9
    assert len(photo.upload("photo").data) <= 10 * 1024 * 1024
    # the prompt, then what the model said alongside the picture
    assert photo.params["caption"].startswith("🎨 a harbour at dusk\n\nHere is your image")
    buttons = [
        b["callback_data"] for row in photo.params["reply_markup"]["inline_keyboard"] for b in row
    ]
    assert all(len(b.encode()) <= 64 for b in buttons)
    # the progress message was shown and removed again
    assert len(telegram.calls_of("deleteMessage")) == 1
    assert telegram.bot_messages(alice.id)[-1].get("photo")
    assert len(telegram.bot_messages(alice.id)) == 1
    assert "upload_photo" in [c.params["action"] for c in telegram.calls_of("sendChatAction")]


async def test_hd_sends_the_original_as_a_document(image_bot, telegram, gemini, alice):
    telegram.send_text(alice, "/hd a lighthouse")
    [document] = await telegram.wait_for_calls("sendDocument", 1)
    assert _image_requests(gemini)[0]["response_format"][0]["image_size"] == "4K"
    assert document.upload("document").data[:8] == b"\x89PNG\r\n\x1a\n"
    assert telegram.calls_of("sendPhoto")


async def test_photo_with_caption_in_image_mode_edits_it(image_bot, telegram, gemini, alice):
    telegram.send_text(alice, "/mode")
    [menu] = await telegram.wait_for_bot_messages(alice.id, 1)
    telegram.press_button(alice, menu, "set:md:image")
    await telegram.wait_for_calls("answerCallbackQuery")
    original = _png_bytes("red")
    telegram.send_photo(alice, original, width=40, height=30, caption="make it watercolour")
    await telegram.wait_for_calls("sendPhoto", 1)
    [request] = _image_requests(gemini)
    assert _references(request) == [original]


async def test_album_with_caption_sends_every_reference(image_bot, telegram, gemini, alice):
    colors = [_png_bytes(c) for c in ("red", "green", "blue")]
    for n, data in enumerate(colors):
        telegram.send_photo(
            alice, data, width=40, height=30, media_group_id="album-1",
            caption="/image combine these into one poster" if n == 0 else None,
        )  # fmt: skip
    await telegram.wait_for_calls("sendPhoto", 1)
    [request] = _image_requests(gemini)
    assert _references(request) == colors


async def test_replying_to_the_bots_image_edits_that_image(image_bot, telegram, gemini, alice):
    telegram.send_text(alice, "/image a cabin")
    [first] = await telegram.wait_for_calls("sendPhoto", 1)
    [bot_photo] = [m for m in telegram.bot_messages(alice.id) if m.get("photo")]
    telegram.send_text(alice, "now in winter", reply_to_message_id=bot_photo["message_id"])
    await telegram.wait_for_calls("sendPhoto", 2)
    edit = _image_requests(gemini)[1]
    assert edit["input"][0]["content"][0]["text"] == "now in winter"
    assert _references(edit) == [first.upload("photo").data]


async def test_batch_sends_one_album_of_four(image_bot, telegram, gemini, alice):
    telegram.send_text(alice, "/batch tiny robots")
    [album] = await telegram.wait_for_calls("sendMediaGroup", 1)
    assert len(album.params["media"]) == 4
    assert len(_image_requests(gemini)) == 4


REFUSAL = (
    "The image was not made: the model's safety rules blocked it. Try describing it differently."
)


async def test_safety_block_gets_a_clear_message(image_bot, telegram, alice):
    telegram.send_text(alice, "/image [[blocked]] something forbidden")
    await telegram.wait_until(
        lambda: (
            [m.get("text", "") for m in telegram.bot_messages(alice.id)]
            == [
                "The image was not made: the model's safety rules blocked it. "
                "Try describing it differently."
            ]
        ),
        timeout=5,
        what="only the refusal left in the chat",
    )
    assert telegram.calls_of("sendPhoto") == []


async def test_timeout_gives_a_clear_message_and_no_stuck_status(start_bot, telegram, alice):
    await start_bot("polling", image_timeout=0.3, gemini_retry_attempts=1)
    telegram.send_text(alice, "/image [[hang:3]] a slow picture")
    await telegram.wait_until(
        lambda: any(
            m.get("text", "").startswith("Gemini took too long")
            for m in telegram.bot_messages(alice.id)
        ),
        timeout=5,
        what="the timeout message",
    )
    assert not any("Generating" in m.get("text", "") for m in telegram.bot_messages(alice.id))


async def test_identical_request_reuses_the_photo_without_a_model_call(
    image_bot, telegram, gemini, alice
):
    telegram.send_text(alice, "/image a quiet lake")
    await telegram.wait_for_calls("sendPhoto", 1)
    telegram.send_text(alice, "/image a quiet lake")
    calls = await telegram.wait_for_calls("sendPhoto", 2)
    assert len(_image_requests(gemini)) == 1
    assert isinstance(calls[1].params["photo"], str)  # a file id, not an upload
    assert "photo" not in calls[1].files


async def test_variant_button_makes_a_new_image(image_bot, telegram, gemini, alice):
    telegram.send_text(alice, "/image a quiet lake")
    await telegram.wait_for_calls("sendPhoto", 1)
    [photo_message] = [m for m in telegram.bot_messages(alice.id) if m.get("photo")]
    variant = next(
        b["callback_data"]
        for row in photo_message["reply_markup"]["inline_keyboard"]
        for b in row
        if b["callback_data"].startswith("im:v:")
    )
    telegram.press_button(alice, photo_message, variant)
    await telegram.wait_for_calls("sendPhoto", 2)
    assert len(_image_requests(gemini)) == 2


async def test_groups_need_a_mention_for_images_too(image_bot, telegram, gemini, alice):
    group = FakeChat(id=-100900, type="supergroup", title="Art")
    telegram.send_text(alice, f"/image@{telegram.bot_username} a red kite", chat=group)
    await telegram.wait_for_calls("sendPhoto", 1)
    assert _image_requests(gemini)


async def test_natural_request_in_assistant_mode_draws_through_the_tool(
    image_bot, telegram, gemini, alice
):
    telegram.send_text(alice, "draw me a fox in the snow")
    [photo] = await telegram.wait_for_calls("sendPhoto", 1)
    await telegram.wait_until(
        lambda: any(m.get("text", "").startswith("Done.") for m in telegram.bot_messages(alice.id)),
        timeout=5,
        what="the model's words after the picture",
    )
    chat_call, image_call, follow_up = gemini.interaction_requests()
    assert [t["name"] for t in chat_call["tools"] if t["type"] == "function"] == ["generate_image"]
    assert image_call["input"][0]["content"][0]["text"] == "a fox in the snow"
    [result] = follow_up["input"]
    assert result["type"] == "function_result"
    assert follow_up["previous_interaction_id"]
    assert photo.params["caption"].startswith("🎨 a fox in the snow")

    telegram.send_text(alice, "thanks!")
    await telegram.wait_for_calls("sendMessage", 3)
    # the conversation continues from the interaction that answered after the tool
    head = gemini.interaction_requests()[-1]["previous_interaction_id"]
    assert gemini.interactions[head].input_steps[0]["type"] == "function_result"


@pytest.mark.parametrize(
    "forged",
    [
        "im:r:{job}:7x3",  # an aspect ratio no button offers
        "im:z:{job}",  # no such action
        "im:v:{job}:and:more",  # malformed
        "im:v:no-such-image",  # stale: no such image
    ],
)
async def test_forged_image_buttons_never_reach_the_image_model(
    start_bot, telegram, gemini, alice, forged
):
    await start_bot("polling", image_timeout=5.0)
    telegram.send_text(alice, "/image a quiet lake")
    await telegram.wait_for_calls("sendPhoto", 1)
    [photo_message] = [m for m in telegram.bot_messages(alice.id) if m.get("photo")]
    variant = photo_message["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    job = variant.split(":")[2]
    telegram.inject_update(
        {
            "callback_query": {
                "id": "forged-image",
                "from": {"id": alice.id, "is_bot": False, "first_name": "Alice"},
                "chat_instance": "x",
                "data": forged.format(job=job),
                "message": photo_message,
            }
        }
    )
    [answer] = await telegram.wait_for_calls("answerCallbackQuery")
    assert answer.params["text"] == "This button is no longer valid."
    assert len(_image_requests(gemini)) == 1  # only the /image itself
    assert len(telegram.calls_of("sendPhoto")) == 1
