"""The command menus come from the command registry: everyone gets the public commands in each
interface language, and each admin gets the admin commands too, in every language."""

from __future__ import annotations

from telegemini.core.commands import ADMIN_MENU, COMMANDS, PUBLIC_COMMANDS, Feature, find_command
from telegemini.core.i18n import LANGUAGES, translate
from telegemini.tg.menus import MENU_LANGUAGE_CODES, menus


def test_everyone_gets_the_public_commands_in_each_language():
    public = [
        (scope, code, commands) for scope, code, commands in menus([]) if scope.type == "default"
    ]
    assert [code for _, code, _ in public] == [None, *MENU_LANGUAGE_CODES.values()]
    for _, _code, commands in public:
        assert [c.command for c in commands] == [c.name for c in PUBLIC_COMMANDS]
        assert not {c.command for c in commands} & {c.name for c in ADMIN_MENU}
    [spanish] = [commands for _, code, commands in public if code == "es"]
    assert spanish[0].description == translate("es", "commands.start")


def test_each_admin_also_gets_the_admin_commands_in_every_language():
    published = menus([42, 77])
    for admin in (42, 77):
        mine = [
            (code, cmds)
            for scope, code, cmds in published
            if getattr(scope, "chat_id", None) == admin
        ]
        assert [code for code, _ in mine] == [None, *MENU_LANGUAGE_CODES.values()]
        for _, commands in mine:
            names = [c.command for c in commands]
            assert names[-len(ADMIN_MENU) :] == [c.name for c in ADMIN_MENU]
            assert "ban" in names


def test_every_registered_command_is_described_in_every_language():
    for command in COMMANDS:
        for language in LANGUAGES:
            description = translate(language, command.description_key)
            assert description
            assert description != command.description_key
            assert len(description) <= 256  # Telegram's limit for a command description


def test_the_registry_knows_aliases_and_admin_commands():
    assert find_command("draw") is not None
    assert find_command("draw").feature is Feature.IMAGES
    assert find_command("broadcast").admin
    assert find_command("sudo") is None
    assert "draw" not in {c.name for c in PUBLIC_COMMANDS}  # aliases stay out of the menus


def test_video_is_listed_only_while_the_video_model_is_there():
    def names(video: bool) -> set[str]:
        return {c.command for _, _, cmds in menus([42], video=video) for c in cmds}

    assert "video" in names(video=True)
    assert "video" not in names(video=False)
    assert "image" in names(video=False)
