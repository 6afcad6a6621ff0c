from __future__ import annotations

import pytest

from telegemini.core.buttons import ImageAction, ImagePress
from telegemini.core.images import RATIO_BUTTONS, ImageConfig, split_ratio
from telegemini.core.models import Attachment, AttachmentKind, ChatRef, ChatType, Mode
from telegemini.errors import ImageNotMade
from tests.helpers.world import World


class ImageWorld(World):
    def __init__(self) -> None:
        super().__init__(images=ImageConfig(reuse_seconds=60, progress_interval=0.001))

    def photo(self, file_id: str, data: bytes = b"photo", **extra: object) -> Attachment:
        self.files.files[file_id] = data
        return Attachment(AttachmentKind.PHOTO, file_id, len(data), **extra)  # type: ignore[arg-type]


@pytest.fixture
def world() -> ImageWorld:
    return ImageWorld()


def test_a_leading_ratio_is_taken_from_the_prompt():
    assert split_ratio("16:9 a harbour at dusk") == ("16:9", "a harbour at dusk")
    assert split_ratio("a harbour 16:9") == (None, "a harbour 16:9")
    assert split_ratio("7:3 nope") == (None, "7:3 nope")


async def test_image_command_makes_a_2k_photo_with_buttons_and_no_leftover_status(world):
    out = await world.send(command="image", args="16:9 a fox in the snow")
    assert world.generator.requests == [("a fox in the snow", "2K", "16:9", [])]
    [photo] = out.photos
    assert photo.data == b"jpeg:png:a fox in the snow:2K"
    assert photo.caption == "🎨 a fox in the snow"
    actions = [b.action for row in photo.buttons for b in row]
    assert ImagePress(ImageAction.VARIANT, actions[0].job_id) in actions
    assert {a.ratio for a in actions if a.action is ImageAction.RATIO} == set(RATIO_BUTTONS)
    assert out.statuses == {}  # "Generating…" removed
    assert "upload_photo" in out.activities


async def test_hd_sends_the_photo_and_the_original_document(world):
    out = await world.send(command="hd", args="a lighthouse")
    assert world.generator.requests[0][1] == "4K"
    assert out.events == ["photo", "document"]
    assert out.documents[0][1] == b"png:a lighthouse:4K"


async def test_usage_without_a_prompt(world):
    out = await world.send(command="image")
    assert out.texts[0].startswith("Describe the picture after the command")
    assert world.generator.requests == []


async def test_identical_request_reuses_the_sent_photo_at_no_cost(world):
    await world.send(command="image", args="a red bicycle")
    world.now[0] += 30
    out = await world.send(command="image", args="A red   bicycle")
    assert len(world.generator.requests) == 1
    assert out.photos[0].file_id == "file-1"
    world.now[0] += 120  # past the reuse window
    await world.send(command="image", args="a red bicycle")
    assert len(world.generator.requests) == 2


async def test_variant_button_always_makes_a_new_image(world):
    first = await world.send(command="image", args="a cat")
    variant = next(
        b.action
        for row in first.photos[0].buttons
        for b in row
        if b.action.action is ImageAction.VARIANT
    )
    out = await world.press(variant)
    assert len(world.generator.requests) == 2
    assert out.callback_answers == ["On it…"]
    assert len(out.photos) == 1


async def test_hd_and_ratio_buttons_repeat_the_prompt(world):
    first = await world.send(command="image", args="a cat")
    buttons = [b.action for row in first.photos[0].buttons for b in row]
    await world.press(next(a for a in buttons if a.action is ImageAction.HD))
    await world.press(next(a for a in buttons if a.ratio == "9:16"))
    assert world.generator.requests[1][:3] == ("a cat", "4K", None)
    assert world.generator.requests[2][:3] == ("a cat", "2K", "9:16")


async def test_forged_image_buttons_do_nothing(world):
    first = await world.send(command="image", args="a cat")
    job_button = next(b.action for row in first.photos[0].buttons for b in row)
    other_chat = ChatRef(999, ChatType.PRIVATE)
    forged = (
        ImagePress(ImageAction.VARIANT, "nope"),  # no such image
        ImagePress(ImageAction.RATIO, job_button.job_id, ratio="7:3"),  # no such ratio
        ImagePress(ImageAction.RATIO, job_button.job_id),  # no ratio at all
    )
    for action in forged:
        out = await world.press(action)
        assert out.callback_answers == ["This button is no longer valid."]
    out = await world.press(job_button, chat=other_chat)  # someone else's image
    assert out.callback_answers == ["This button is no longer valid."]
    assert len(world.generator.requests) == 1


async def test_batch_sends_one_album_of_four(world):
    out = await world.send(command="batch", args="tiny robots")
    assert len(world.generator.requests) == 4
    [album] = out.albums
    assert len(album) == 4
    assert album[0].caption == "🎨 tiny robots"


async def test_safety_block_explains_and_removes_the_status(world):
    world.generator.failures.append(ImageNotMade("IMAGE_SAFETY", reason="safety"))
    out = await world.send(command="image", args="something forbidden")
    assert out.photos == []
    assert out.statuses == {}
    refusal = "The image was not made: the model's safety rules blocked it."
    assert out.texts == [refusal + " Try describing it differently."]


async def test_photo_with_caption_in_image_mode_is_an_edit(world):
    await world.set_prefs(mode=Mode.IMAGE)
    out = await world.send("make it watercolour", attachments=(world.photo("p1", b"JPEGDATA"),))
    [(prompt, _, _, references)] = world.generator.requests
    assert prompt == "make it watercolour"
    assert [r.data for r in references] == [b"JPEGDATA"]
    assert len(out.photos) == 1


async def test_photo_without_caption_in_image_mode_asks_what_to_do(world):
    await world.set_prefs(mode=Mode.IMAGE)
    out = await world.send("", attachments=(world.photo("p1"),))
    assert "What should I do with this photo?" in out.texts[0]
    assert world.generator.requests == []


async def test_text_in_image_mode_is_a_prompt(world):
    await world.set_prefs(mode=Mode.IMAGE)
    await world.send("a castle on a cloud")
    assert world.generator.requests[0][0] == "a castle on a cloud"
    assert world.model.history == []


async def test_reply_to_a_bot_image_edits_it_in_any_mode(world):
    replied = world.photo("bot-photo", b"BOTIMAGE", from_reply=True)
    await world.send("now at night", attachments=(replied,))
    assert world.generator.requests[0][0] == "now at night"
    assert world.generator.requests[0][3][0].data == b"BOTIMAGE"


async def test_too_many_references_are_refused(world):
    photos = tuple(world.photo(f"p{n}") for n in range(4))  # the fake takes 3
    out = await world.send(command="image", args="a collage", attachments=photos)
    assert out.texts == ["That's too many photos for one image (the limit is 3)."]
    assert world.generator.requests == []


async def test_photos_in_assistant_mode_are_shown_to_the_chat_model(world):
    world.model.enqueue("A cat on a sofa.")
    await world.send("what is this?", attachments=(world.photo("p1", b"CATPHOTO"),))
    [request] = world.model.history
    assert [type(p).__name__ for p in request.parts] == ["TextPart", "ImagePart"]
    assert request.parts[1].data == b"CATPHOTO"
    assert world.generator.requests == []


async def test_the_chat_model_can_draw_through_its_tool(world):
    world.model.enqueue_call("generate_image", prompt="a fox in the snow", aspect_ratio="16:9")
    world.model.enqueue("Here is your fox!")
    out = await world.send("could you draw me a fox in the snow?")

    assert world.generator.requests[0][:3] == ("a fox in the snow", "2K", "16:9")
    first, follow_up = world.model.history
    assert [t.name for t in first.tools] == ["generate_image"]
    assert follow_up.previous_id == "i1"
    assert [r.result for r in follow_up.tool_results] == [
        "The picture was made and is now shown to the user."
    ]
    assert out.events == ["photo", "text"]
    assert out.texts == ["Here is your fox!"]


async def test_a_refused_tool_image_is_explained_once(world):
    world.generator.failures.append(ImageNotMade("IMAGE_SAFETY", reason="safety"))
    world.model.enqueue_call("generate_image", prompt="something forbidden")
    world.model.enqueue("")
    out = await world.send("draw something forbidden")
    assert out.photos == []
    assert out.texts == ["The image was not made: the model's safety rules blocked it. "
                         "Try describing it differently."]  # fmt: skip
