"""The sandbox's /sim API on a fake Bot API, without a bot: what the page sends becomes Telegram
messages and updates; what the bot does comes back as Server-Sent Events."""

from __future__ import annotations

import asyncio
import fnmatch
import io
import json
import re
import tomllib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from PIL import Image

from telegemini.media.audio import is_ogg_opus
from telegemini.sandbox.fake_telegram import FakeEvent, FakeTelegramServer
from telegemini.sandbox.people import GROUP
from telegemini.sandbox.sim import ModelInfo, SimApi
from tests.helpers.audio import wav_bytes

ALICE, LIHUA, LUCIA = 1001, 1002, 1004


@pytest.fixture(scope="module")
async def fake() -> AsyncIterator[FakeTelegramServer]:
    server = FakeTelegramServer(bot_username="sandbox_bot", privacy_mode=True)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def sim(fake: FakeTelegramServer) -> AsyncIterator[tuple[SimApi, str]]:
    fake.reset()
    api = SimApi(fake, ModelInfo(demo=True, label="Demo model (offline)"))
    api.attach()
    runner = web.AppRunner(api.app(), shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield api, f"http://{host}:{port}"
    finally:
        api.detach()
        await runner.cleanup()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def updates(fake: FakeTelegramServer) -> list[dict[str, Any]]:
    """The updates queued for the bot while the test runs."""
    seen: list[dict[str, Any]] = []

    def record(event: FakeEvent) -> None:
        if event.kind == "update":
            seen.append(event.payload)

    unsubscribe = fake.subscribe(record)
    yield seen
    unsubscribe()


async def bot_call(
    http: aiohttp.ClientSession, fake: FakeTelegramServer, method: str, **params: Any
) -> Any:
    """What the bot would do, straight on the Bot API."""
    async with http.post(f"{fake.base_url}{fake.token}/{method}", json=params) as response:
        body = await response.json()
    assert body["ok"], body
    return body["result"]


async def post(http: aiohttp.ClientSession, url: str, **kwargs: Any) -> tuple[int, Any]:
    async with http.post(url, **kwargs) as response:
        return response.status, await response.json()


def image_bytes(colour: str, size: tuple[int, int] = (64, 48), fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format=fmt)
    return out.getvalue()


class EventStream:
    """The page's side of GET /sim/events."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response

    async def next(self, *, skip: tuple[str, ...] = ()) -> dict[str, Any]:
        async with asyncio.timeout(5):
            while True:
                line = (await self.response.content.readline()).decode()
                if line.startswith("data: "):
                    event = json.loads(line[6:])
                    if event["type"] not in skip:
                        return event


@pytest.fixture
async def events(sim, http) -> AsyncIterator[EventStream]:
    _api, url = sim
    async with http.get(f"{url}/sim/events") as response:
        assert response.headers["Content-Type"] == "text/event-stream"
        stream = EventStream(response)
        assert await stream.next() == {"type": "hello"}
        yield stream


# --- state and page ------------------------------------------------------------------------


async def test_state_lists_the_people_the_model_and_every_chat(sim, http):
    _api, url = sim
    async with http.get(f"{url}/sim/state") as response:
        state = await response.json()
    assert [u["first_name"] for u in state["users"]] == ["Alice", "李华", "陳大文", "Lucía", "Иван"]
    assert [u["language_code"] for u in state["users"]] == ["en", "zh-hans", "zh-hant", "es", "ru"]
    assert state["group"] == {"id": GROUP.id, "type": "supergroup", "title": "Sandbox group"}
    assert state["model"] == {"demo": True, "label": "Demo model (offline)", "speaks": True}
    assert [u["admin"] for u in state["users"]] == [True, False, False, False, False]
    assert state["bot"]["username"] == "sandbox_bot"
    assert set(state["chats"]) == {str(u["id"]) for u in state["users"]} | {str(GROUP.id)}
    assert all(messages == [] for messages in state["chats"].values())


async def test_the_page_and_its_scripts_are_served(sim, http):
    _api, url = sim
    async with http.get(f"{url}/") as page:
        assert page.status == 200
        assert '<script type="module" src="/static/app.js">' in await page.text()
    names = ["app.js", "composer.js", "format.js", "i18n.js", "messages.js", "rich.js"]
    names += ["timeline.js", "style.css", "vendor/katex/katex.min.js", "vendor/katex/katex.min.css"]
    for name in names:
        async with http.get(f"{url}/static/{name}") as asset:
            assert asset.status == 200, name


async def test_katex_and_the_fonts_it_uses_are_served_from_the_package(sim, http):
    _api, url = sim
    async with http.get(f"{url}/static/vendor/katex/katex.min.css") as response:
        css = await response.text()
    fonts = sorted(set(re.findall(r"url\((fonts/[^)]+\.woff2)\)", css)))
    assert len(fonts) == 20
    for font in fonts:  # the first choice of every @font-face: no browser needs the others
        async with http.get(f"{url}/static/vendor/katex/{font}") as asset:
            assert asset.status == 200, font
            assert (await asset.read()).startswith(b"wOF2")


def _package_data(relative: str, pattern: str) -> bool:
    """Whether a setuptools package-data glob takes the file (``*`` stays within one folder)."""
    parts, globs = relative.split("/"), pattern.split("/")
    return len(parts) == len(globs) and all(map(fnmatch.fnmatchcase, parts, globs))


def test_every_file_of_the_page_is_package_data():
    """An installed package has the page: pyproject's package-data covers each file of web/."""
    root = Path(__file__).resolve().parents[3]
    config = tomllib.loads((root / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["telegemini"]
    package = root / "src" / "telegemini"
    files = [path for path in (package / "sandbox" / "web").rglob("*") if path.is_file()]
    assert any(path.name == "katex.min.js" for path in files)
    for path in files:
        relative = path.relative_to(package).as_posix()
        assert any(_package_data(relative, pattern) for pattern in patterns), relative


async def test_command_menus_follow_the_users_language(sim, http, fake):
    _api, url = sim
    english = [{"command": "start", "description": "Welcome"}]
    chinese = [{"command": "start", "description": "欢迎"}]
    await bot_call(http, fake, "setMyCommands", commands=english)
    await bot_call(http, fake, "setMyCommands", commands=chinese, language_code="zh")
    async with http.get(f"{url}/sim/commands", params={"user_id": LIHUA}) as response:
        assert await response.json() == chinese
    async with http.get(f"{url}/sim/commands", params={"user_id": LUCIA}) as response:
        assert await response.json() == english  # no Spanish list: the default one


# --- what users do -------------------------------------------------------------------------


async def test_a_text_message_becomes_an_update(sim, http, fake, updates):
    _api, url = sim
    status, body = await post(
        http, f"{url}/sim/send", json={"user_id": ALICE, "chat_id": ALICE, "text": "/start"}
    )
    assert status == 200
    [update] = updates
    assert update["message"]["text"] == "/start"
    assert update["message"]["from"]["language_code"] == "en"
    assert update["message"]["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert fake.chat_log(ALICE)[-1]["message_id"] == body["message"]["message_id"]


async def test_in_the_group_only_mentions_and_replies_reach_the_bot(sim, http, fake, updates):
    _api, url = sim
    send = f"{url}/sim/send"
    await post(http, send, json={"user_id": LUCIA, "chat_id": GROUP.id, "text": "hola a todos"})
    await post(http, send, json={"user_id": LUCIA, "chat_id": GROUP.id, "text": "@sandbox_bot hi"})
    answer = await bot_call(http, fake, "sendMessage", chat_id=GROUP.id, text="Hi Lucía")
    await post(
        http,
        send,
        json={
            "user_id": ALICE,
            "chat_id": GROUP.id,
            "text": "thanks",
            "reply_to": answer["message_id"],
        },
    )

    assert [u["message"]["text"] for u in updates] == ["@sandbox_bot hi", "thanks"]
    assert updates[1]["message"]["reply_to_message"]["text"] == "Hi Lucía"
    assert [m.get("text") for m in fake.chat_log(GROUP.id)] == [
        "hola a todos",
        "@sandbox_bot hi",
        "Hi Lucía",
        "thanks",
    ]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"user_id": ALICE, "chat_id": LUCIA, "text": "hi"}, "Alice cannot write in chat 1004"),
        ({"user_id": 7, "chat_id": 7, "text": "hi"}, "no simulated user 7"),
        ({"user_id": ALICE, "chat_id": ALICE, "text": "  "}, "the message is empty"),
        (
            {"user_id": ALICE, "chat_id": ALICE, "text": "hi", "reply_to": 999},
            "message 999 is not in this chat",
        ),
        ({"user_id": "x", "chat_id": ALICE, "text": "hi"}, "user_id must be an integer"),
    ],
)
async def test_impossible_messages_are_refused(sim, http, updates, body, error):
    _api, url = sim
    assert await post(http, f"{url}/sim/send", json=body) == (400, {"error": error})
    assert updates == []


async def test_pressing_a_button_sends_a_callback_query(sim, http, fake, updates):
    _api, url = sim
    keyboard = {"inline_keyboard": [[{"text": "Voice", "callback_data": "mode:voice"}]]}
    message = await bot_call(
        http, fake, "sendMessage", chat_id=ALICE, text="Pick", reply_markup=keyboard
    )
    press = {"user_id": ALICE, "chat_id": ALICE, "message_id": message["message_id"]}

    status, body = await post(http, f"{url}/sim/press", json={**press, "data": "mode:voice"})
    refused = await post(http, f"{url}/sim/press", json={**press, "data": "mode:nope"})

    assert status == 200
    [update] = updates
    query = update["callback_query"]
    assert (query["id"], query["data"], query["from"]["id"]) == (
        body["callback_query_id"],
        "mode:voice",
        ALICE,
    )
    assert query["message"]["message_id"] == message["message_id"]
    assert refused[0] == 400
    assert "no button with callback_data 'mode:nope'" in refused[1]["error"]


async def test_several_photos_become_an_album_with_the_caption_first(sim, http, fake, updates):
    _api, url = sim
    form = aiohttp.FormData()
    form.add_field("user_id", str(ALICE))
    form.add_field("chat_id", str(ALICE))
    form.add_field("caption", "our holiday")
    form.add_field("file", image_bytes("red"), filename="a.png", content_type="image/png")
    form.add_field(
        "file", image_bytes("blue", (30, 60), "WEBP"), filename="b.webp", content_type="image/webp"
    )

    status, body = await post(http, f"{url}/sim/photos", data=form)

    assert status == 200
    first, second = (u["message"] for u in updates)
    assert first["media_group_id"] == second["media_group_id"]
    assert first["caption"] == "our holiday"
    assert "caption" not in second
    assert [first["photo"][-1]["width"], second["photo"][-1]["height"]] == [64, 60]
    async with http.get(f"{url}/sim/file/{second['photo'][-1]['file_id']}") as response:
        assert response.headers["Content-Type"] == "image/jpeg"  # re-encoded, as Telegram does
        assert (await response.read())[:2] == b"\xff\xd8"
    assert [m["message_id"] for m in body["messages"]] == [
        first["message_id"],
        second["message_id"],
    ]


async def test_one_photo_is_not_an_album_and_other_files_are_documents(sim, http, updates):
    _api, url = sim
    form = aiohttp.FormData()
    form.add_field("user_id", str(ALICE))
    form.add_field("chat_id", str(ALICE))
    form.add_field("file", image_bytes("green"), filename="g.png", content_type="image/png")
    form.add_field("file", b"hello", filename="notes.txt", content_type="text/plain")

    status, _body = await post(http, f"{url}/sim/photos", data=form)

    assert status == 200
    photo, document = (u["message"] for u in updates)
    assert "media_group_id" not in photo
    assert document["document"]["file_name"] == "notes.txt"
    assert document["document"]["mime_type"] == "text/plain"


async def test_a_broken_image_is_refused(sim, http, updates):
    _api, url = sim
    form = aiohttp.FormData()
    form.add_field("user_id", str(ALICE))
    form.add_field("chat_id", str(ALICE))
    form.add_field("file", b"not a png", filename="x.png", content_type="image/png")
    status, body = await post(http, f"{url}/sim/photos", data=form)
    assert (status, body) == (400, {"error": "not an image Telegram would take as a photo"})
    assert updates == []


async def test_a_recording_becomes_an_ogg_opus_voice_note(sim, http, updates):
    _api, url = sim
    params = {"user_id": str(ALICE), "chat_id": str(ALICE)}
    status, _body = await post(
        http, f"{url}/sim/voice", params=params, data=wav_bytes(1.6, rate=48_000)
    )
    assert status == 200
    [update] = updates
    voice = update["message"]["voice"]
    assert voice["duration"] == 2
    async with http.get(f"{url}/sim/file/{voice['file_id']}") as response:
        assert response.headers["Content-Type"] == "audio/ogg"
        assert is_ogg_opus(await response.read())


async def test_an_undecodable_recording_is_refused(sim, http, updates):
    _api, url = sim
    params = {"user_id": str(ALICE), "chat_id": str(ALICE)}
    status, body = await post(http, f"{url}/sim/voice", params=params, data=b"\x00" * 100)
    assert status == 400
    assert body["error"].startswith("the recording could not be decoded")
    assert updates == []


async def test_files_the_bot_sent_can_be_downloaded(sim, http, fake):
    _api, url = sim
    form = aiohttp.FormData()
    form.add_field("chat_id", str(ALICE))
    form.add_field("document", b"a,b\n1,2\n", filename="data.csv", content_type="text/csv")
    async with http.post(f"{fake.base_url}{fake.token}/sendDocument", data=form) as response:
        document = (await response.json())["result"]["document"]

    async with http.get(f"{url}/sim/file/{document['file_id']}?download=1") as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "text/csv"
        assert response.headers["Content-Disposition"] == 'attachment; filename="data.csv"'
        assert await response.read() == b"a,b\n1,2\n"
    async with http.get(f"{url}/sim/file/nope") as missing:
        assert missing.status == 404


async def test_a_video_the_bot_sent_is_served_in_byte_ranges(sim, http, fake):
    """The page's <video> asks for ranges (to read the MP4's index and to seek)."""
    _api, url = sim
    clip = bytes(range(256)) * 4
    form = aiohttp.FormData()
    for key, value in {"chat_id": ALICE, "width": 320, "height": 180, "duration": 4}.items():
        form.add_field(key, str(value))
    form.add_field("caption", "🎬 a red balloon")
    form.add_field("video", clip, filename="clip.mp4", content_type="application/octet-stream")
    async with http.post(f"{fake.base_url}{fake.token}/sendVideo", data=form) as response:
        message = (await response.json())["result"]
    video = message["video"]
    assert (video["width"], video["height"], video["duration"]) == (320, 180, 4)
    assert message["caption"] == "🎬 a red balloon"
    file_url = f"{url}/sim/file/{video['file_id']}"

    async with http.get(file_url) as whole:
        assert whole.status == 200
        assert whole.headers["Content-Type"] == "video/mp4"
        assert whole.headers["Accept-Ranges"] == "bytes"
        assert await whole.read() == clip
    async with http.get(file_url, headers={"Range": "bytes=10-19"}) as part:
        assert part.status == 206
        assert part.headers["Content-Range"] == f"bytes 10-19/{len(clip)}"
        assert await part.read() == clip[10:20]
    async with http.get(file_url, headers={"Range": "bytes=1000-"}) as tail:
        assert (tail.status, await tail.read()) == (206, clip[1000:])
    async with http.get(file_url, headers={"Range": "bytes=-24"}) as suffix:
        assert (suffix.status, await suffix.read()) == (206, clip[-24:])
    async with http.get(file_url, headers={"Range": "bytes=5000-"}) as beyond:
        assert beyond.status == 416
        assert beyond.headers["Content-Range"] == f"bytes */{len(clip)}"


# --- live events ---------------------------------------------------------------------------


async def test_what_the_bot_does_streams_to_the_page(sim, http, fake, events):
    _api, url = sim
    await post(http, f"{url}/sim/send", json={"user_id": ALICE, "chat_id": ALICE, "text": "hi"})
    mine = await events.next()
    assert (mine["type"], mine["chat_id"], mine["message"]["text"]) == ("message", ALICE, "hi")

    await bot_call(http, fake, "sendChatAction", chat_id=ALICE, action="typing")
    assert await events.next() == {"type": "chat_action", "chat_id": ALICE, "action": "typing"}

    await bot_call(http, fake, "sendMessageDraft", chat_id=ALICE, draft_id=5, text="Hel")
    draft = await events.next()
    assert (draft["type"], draft["draft_id"], draft["text"]) == ("draft", 5, "Hel")

    sent = await bot_call(
        http,
        fake,
        "sendMessage",
        chat_id=ALICE,
        text="Hello world",
        entities=[{"type": "bold", "offset": 0, "length": 5}],
    )
    message = await events.next()
    assert message["message"]["entities"] == [{"type": "bold", "offset": 0, "length": 5}]

    await bot_call(
        http, fake, "editMessageText", chat_id=ALICE, message_id=sent["message_id"], text="Bye"
    )
    edit = await events.next()
    assert (edit["type"], edit["message"]["text"]) == ("edit", "Bye")

    await bot_call(http, fake, "deleteMessage", chat_id=ALICE, message_id=sent["message_id"])
    assert await events.next() == {
        "type": "delete",
        "chat_id": ALICE,
        "message_id": sent["message_id"],
    }

    await bot_call(http, fake, "setMyCommands", commands=[{"command": "help", "description": "?"}])
    assert await events.next() == {"type": "commands"}


async def test_callback_answers_reach_the_page(sim, http, fake, events):
    _api, url = sim
    keyboard = {"inline_keyboard": [[{"text": "Go", "callback_data": "go"}]]}
    message = await bot_call(
        http, fake, "sendMessage", chat_id=ALICE, text="Ready?", reply_markup=keyboard
    )
    status, body = await post(
        http,
        f"{url}/sim/press",
        json={
            "user_id": ALICE,
            "chat_id": ALICE,
            "message_id": message["message_id"],
            "data": "go",
        },
    )
    assert status == 200
    await bot_call(
        http, fake, "answerCallbackQuery", callback_query_id=body["callback_query_id"], text="Done"
    )
    answer = await events.next(skip=("message",))
    assert answer == {
        "type": "callback_answer",
        "chat_id": ALICE,
        "text": "Done",
        "show_alert": False,
    }


async def test_streams_end_when_the_sandbox_stops(sim, http):
    api, url = sim
    async with http.get(f"{url}/sim/events") as response:
        stream = EventStream(response)
        assert await stream.next() == {"type": "hello"}
        assert api.hub.clients == 1
        api.detach()
        async with asyncio.timeout(5):
            rest = await response.content.read()
    assert rest.strip() == b""  # nothing after the hello: the stream simply ended
    assert api.hub.clients == 0


# --- rich messages, the Stop button, ephemeral messages (Bot API 10.1-10.3) -----------------


async def test_a_rich_draft_streams_as_blocks_and_its_stop_button_works(
    sim, http, fake, events, updates
):
    _api, url = sim
    fake.rich_messages = True  # reset() turns it off again for the next test
    markdown = "<tg-thinking>Hmm</tg-thinking>\n\n| a | b |\n|---|---|\n| 1 | $x^2$ |"
    await bot_call(
        http,
        fake,
        "sendRichMessageDraft",
        chat_id=ALICE,
        draft_id=9,
        rich_message={"markdown": markdown},
        can_stop=True,
    )
    draft = await events.next()
    assert (draft["type"], draft["draft_id"], draft["can_stop"]) == ("draft", 9, True)
    thinking, table = draft["blocks"]
    assert thinking == {"type": "thinking", "text": "Hmm"}
    assert table["type"] == "table"
    formula = {"type": "mathematical_expression", "expression": "x^2"}
    assert table["cells"][1][1]["text"] == [formula]

    stop = {"user_id": ALICE, "draft_id": 9}
    status, body = await post(http, f"{url}/sim/stop", json=stop)
    assert status == 200
    assert await events.next(skip=("chat_action",)) == {
        "type": "draft_stop",
        "chat_id": ALICE,
        "draft_id": 9,
        "keep_on_stop": False,
    }
    [update] = updates
    assert update["update_id"] == body["update_id"]
    assert update["stopped_message_generation"]["draft_id"] == 9
    again = await post(http, f"{url}/sim/stop", json=stop)
    assert again == (400, {"error": "draft 9 was already stopped"})


async def test_a_text_draft_without_a_stop_button_cannot_be_stopped(sim, http, fake, events):
    _api, url = sim
    await bot_call(http, fake, "sendMessageDraft", chat_id=LUCIA, draft_id=3, text="Ho")
    draft = await events.next()
    assert (draft["blocks"], draft["can_stop"]) == (None, False)
    status, body = await post(http, f"{url}/sim/stop", json={"user_id": LUCIA, "draft_id": 3})
    assert status == 400
    assert "has no Stop button" in body["error"]


async def test_ephemeral_messages_reach_the_page_and_their_buttons_can_be_pressed(
    sim, http, fake, events, updates
):
    _api, url = sim
    fake.set_bot_admin(GROUP)
    keyboard = {"inline_keyboard": [[{"text": "OK", "callback_data": "ok"}]]}
    sent = await bot_call(
        http,
        fake,
        "sendMessage",
        chat_id=GROUP.id,
        text="Only for Lucía",
        reply_markup=keyboard,
        ephemeral_message_parameters={"receiver_user_id": LUCIA},
    )
    shown = await events.next()
    assert (shown["type"], shown["chat_id"]) == ("ephemeral", GROUP.id)
    assert shown["message"]["receiver_user"]["id"] == LUCIA
    async with http.get(f"{url}/sim/state") as response:
        state = await response.json()
    [listed] = state["ephemeral"][str(GROUP.id)]
    assert (listed["text"], listed["ephemeral_message_id"]) == (
        "Only for Lucía",
        sent["ephemeral_message_id"],
    )
    assert state["chats"][str(GROUP.id)] == []  # not among the group's messages

    press = {
        "chat_id": GROUP.id,
        "message_id": 0,
        "ephemeral_message_id": sent["ephemeral_message_id"],
        "data": "ok",
    }
    assert (await post(http, f"{url}/sim/press", json={**press, "user_id": ALICE}))[0] == 400
    status, _body = await post(http, f"{url}/sim/press", json={**press, "user_id": LUCIA})
    assert status == 200
    [update] = updates
    assert (
        update["callback_query"]["message"]["ephemeral_message_id"]
        == (sent["ephemeral_message_id"])
    )

    await bot_call(
        http,
        fake,
        "deleteEphemeralMessage",
        chat_id=GROUP.id,
        receiver_user_id=LUCIA,
        ephemeral_message_id=sent["ephemeral_message_id"],
    )
    assert await events.next() == {
        "type": "ephemeral_delete",
        "chat_id": GROUP.id,
        "ephemeral_message_id": sent["ephemeral_message_id"],
        "receiver_user_id": LUCIA,
    }


async def test_pay_under_an_invoice_runs_the_pre_checkout_then_the_payment(
    sim, http, fake, updates
):
    """The page's "Pay ⭐ N": the pre-checkout goes to the bot; its yes makes the payment."""
    _api, url = sim
    invoice = await bot_call(
        http, fake, "sendInvoice", chat_id=ALICE, title="50 images", description="Extra",
        payload="pack:50:250", currency="XTR", prices=[{"label": "50", "amount": 250}],
    )  # fmt: skip
    link = await bot_call(
        http, fake, "createInvoiceLink", title="Premium", description="30 days",
        payload="premium:250", currency="XTR", prices=[{"label": "P", "amount": 250}],
        subscription_period=2592000,
    )  # fmt: skip
    assert invoice["invoice"]["total_amount"] == 250
    assert link.startswith("https://t.me/$")
    slug = fake.message(ALICE, invoice["message_id"])["_invoice_slug"]
    status, body = await post(http, f"{url}/sim/pay", json={"user_id": ALICE, "invoice": slug})
    assert status == 200
    query = updates[-1]["pre_checkout_query"]
    assert (query["id"], query["total_amount"]) == (body["pre_checkout_query_id"], 250)
    await bot_call(http, fake, "answerPreCheckoutQuery", pre_checkout_query_id=query["id"], ok=True)
    paid = updates[-1]["message"]["successful_payment"]
    assert (paid["invoice_payload"], paid["currency"]) == ("pack:50:250", "XTR")
    status, _ = await post(http, f"{url}/sim/pay", json={"user_id": ALICE, "invoice": link})
    assert status == 200
    sub = updates[-1]["pre_checkout_query"]
    await bot_call(http, fake, "answerPreCheckoutQuery", pre_checkout_query_id=sub["id"], ok=True)
    first = updates[-1]["message"]["successful_payment"]
    assert (first["is_recurring"], first["is_first_recurring"]) == (True, True)
    refused = await post(http, f"{url}/sim/pay", json={"user_id": ALICE, "invoice": "nope"})
    assert refused == (400, {"error": "no invoice 'nope'"})
