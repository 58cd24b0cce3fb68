"""sources.toml: the shipped file is valid and complete; every kind of broken file is named clearly."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Project
from watcher.errors import ConfigError
from watcher.sources import load_config, parse_duration

SHIPPED = Path(__file__).resolve().parent.parent / "sources.toml"
SIGNATORIES = {
    "Amazon", "Anthropic", "Cohere", "Google DeepMind", "G42", "IBM", "Inflection AI", "Meta", "Microsoft",
    "Mistral AI", "Naver", "OpenAI", "Samsung Electronics", "Technology Innovation Institute", "xAI",
    "Zhipu AI", "Magic", "MiniMax", "01.AI", "NVIDIA",
}

GOOD = """
[[source]]
id = "lab-policy"
org = "Example Lab"
title = "Policy"
kind = "framework"
url = "https://example.org/policy"
"""
_EMAIL = '[[channel]]\ntype = "email"\nhost = "smtp.example.org"\nfrom = "w@example.org"\nto = "a@example.org"\n'


def test_shipped_sources_cover_every_signatory() -> None:
    config = load_config(SHIPPED)
    orgs = {s.org for s in config.sources}
    assert SIGNATORIES <= orgs
    assert all(s.note for s in config.sources if not s.enabled), "disabled sources must say why"
    followed = [s for s in config.sources if s.index]
    assert followed and all(s.follow is not None for s in followed)


BROKEN = [
    ("toml-syntax", GOOD + "\n[[source]\n", "at line 9"),
    ("unknown-top-level", "[fetcher]\nretries = 1\n" + GOOD, "'fetcher'"),
    ("unknown-source-key", GOOD + 'colour = "red"\n', "source[0] id='lab-policy' (line 2): unknown key(s) 'colour'"),
    ("duplicate-id", GOOD + GOOD, "duplicate source id 'lab-policy'"),
    ("bad-url", GOOD.replace("https://example.org/policy", "ftp:/nowhere"), ".url: 'ftp:/nowhere'"),
    ("bad-selector", GOOD + 'select = "main[["\n', ".select: invalid CSS selector"),
    ("bad-regex", GOOD + "ignore = ['(unclosed']\n", ".ignore: invalid regex"),
    ("bad-duration", GOOD + 'interval = "often"\n', ".interval: 'often' is not a duration"),
    ("missing-org", GOOD.replace('org = "Example Lab"\n', ""), "`org` is required"),
    ("unknown-kind", GOOD.replace('"framework"', '"blogpost"'), ".kind: 'blogpost' is not one of"),
    ("url-and-index", GOOD + 'index = "https://example.org/"\nfollow = "pdf"\n', "either `url`"),
    ("index-without-follow", GOOD.replace('url = ', 'index = '), "needs `url`, or both"),
    ("explained-by-unknown", GOOD + 'explained_by = ["nope"]\n', "'nope' is not another source id"),
    ("bad-slug", GOOD.replace('"lab-policy"', '"Lab Policy"'), "must be a slug"),
    ("bad-fetch-key", "[fetch]\ntimeout = 3\n" + GOOD, "[fetch]: unknown key(s) 'timeout'"),
    ("bad-channel-type", GOOD + '[[channel]]\ntype = "pager"\n', "channel[0] (line 8).type: 'pager'"),
    ("bad-size", "[fetch]\nmax_bytes = \"lots\"\n" + GOOD, "max_bytes: 'lots' is not a size"),
    ("secret-in-config", GOOD + '[[channel]]\ntype = "slack"\nwebhook_url_env = "https://hooks.slack.com/x"\n',
     "channel[0] (line 8).webhook_url_env: must name an environment variable"),
    ("webhook-without-secret", GOOD + '[[channel]]\ntype = "webhook"\nurl = "https://example.org/hook"\n',
     "channel[0] (line 8).secret_env: must name an environment variable"),
    ("email-without-to", GOOD + _EMAIL.replace('to = "a@example.org"\n', ""), "channel[0] (line 8).to:"),
    ("email-bad-security", GOOD + _EMAIL + 'security = "ssl"\n', "security: 'ssl' is not one of starttls"),
    ("email-login-without-password", GOOD + _EMAIL + 'username = "me"\n', "password_env: must name"),
    ("unknown-org", GOOD + _EMAIL + 'orgs = ["Exmaple Lab"]\n', "orgs: ['Exmaple Lab'] match no source's org"),
    ("bad-digest-time", GOOD + _EMAIL + 'digest_time = "25:00"\n', "digest_time: '25:00' is not a time"),
    ("bad-timezone", GOOD + _EMAIL + 'timezone = "Mars/Olympus"\n', "timezone: 'Mars/Olympus' is not a time"),
    ("bad-alerts-key", "[alerts]\nhealth = 5\n" + GOOD, "[alerts]: unknown key(s) 'health'"),
    ("duplicate-channel", GOOD + _EMAIL + _EMAIL, "[[channel]] names must be unique"),
]


@pytest.mark.parametrize("text,expected", [(t, e) for _, t, e in BROKEN], ids=[n for n, _, _ in BROKEN])
def test_broken_config_is_rejected_with_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(ConfigError) as error:
        load_config(path)

    assert str(path) in str(error.value)
    assert expected in str(error.value)


@pytest.mark.parametrize("command", [["sources"], ["check"]])
def test_cli_exits_2_on_config_error(project: Project, command: list[str]) -> None:
    project.write_config(GOOD + GOOD, extra="")

    result = project.run(*command)

    assert result.exit_code == 2
    assert "duplicate source id" in result.output


def test_missing_config_file_exits_2(project: Project) -> None:
    result = project.run("sources")
    assert result.exit_code == 2 and "file not found" in result.output


def test_durations() -> None:
    assert parse_duration("6h", "x") == 21600
    assert parse_duration("30d", "x") == 30 * 86400
    assert parse_duration("250ms", "x") == 0.25


def test_channels_and_alert_settings_are_read_with_their_defaults(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    path.write_text(GOOD + _EMAIL + 'mode = "digest"\ntimezone = "Europe/Paris"\n'
                    + '[alerts]\nhealth_after = 2\nretry_initial = "30s"\n', encoding="utf-8")

    config = load_config(path)

    [channel] = config.channels
    assert (channel.name, channel.min_severity, channel.mode, channel.timezone) == ("email", "low", "digest",
                                                                                    "Europe/Paris")
    assert channel.options["port"] == 587 and channel.options["security"] == "starttls"
    assert channel.options["to"] == ["a@example.org"]
    assert (config.alerts.health_after, config.alerts.retry_initial, config.alerts.retry_max) == (2, 30.0, 21600.0)
    change = {"event": "change", "org": "Example Lab", "severity": "info"}
    assert not channel.wants(change) and channel.wants({**change, "severity": "medium"})
    assert channel.wants({"event": "source_failing", "org": "Example Lab", "severity": "medium"})
