"""config.example.toml is what a team copies: it must show the settings as the bot has them
by default (its `imports.batch` still said 1,000 after the default became 2,000)."""

from pathlib import Path

from bot.runtime.config import Settings, load_settings

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"


def test_the_example_configuration_holds_every_default() -> None:
    assert load_settings(EXAMPLE, env={}) == Settings()


def test_a_changed_example_value_is_noticed(tmp_path: Path) -> None:
    changed = tmp_path / "config.toml"
    changed.write_text(EXAMPLE.read_text(encoding="utf-8").replace(
        "batch = 2000", "batch = 1000"), encoding="utf-8")
    assert load_settings(changed, env={}) != Settings()
