"""Rendering and message details of the digest, without a mail server."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
from email.message import EmailMessage
from email.policy import SMTP

from scheduler.digest.content import DigestContent, Mention, Story, excerpt
from scheduler.digest.message import build_message, subject_for
from scheduler.digest.render import render
from storage.digests import CrawlTotals, recipients_key

NOW = dt.datetime(2026, 11, 21, 21, 30, tzinfo=dt.UTC)


def _story(**kw: object) -> Story:
    values: dict[str, object] = {
        "article_id": 1,
        "cluster_id": 1,
        "title": "Title",
        "source": "src",
        "url": "https://a.example/1",
        "published_at": None,
        "score": 0.5,
        "concepts": (),
        "names": (),
        "excerpt": "",
    }
    values.update(kw)
    return Story(**values)  # type: ignore[arg-type]


def _content(*stories: Story) -> DigestContent:
    return DigestContent(NOW, None, tuple(stories), (), CrawlTotals(), ())


def test_excerpt_takes_the_first_sentences_and_cuts_long_text_at_a_word() -> None:
    assert excerpt("One. Two!  Three?\nFour. Five.") == "One. Two! Three?"
    assert excerpt("«Путин уходит?» — спросил он. Второе. Третье. Четвёртое.") == (
        "«Путин уходит?» — спросил он. Второе. Третье."
    )
    long = excerpt("word " * 300)
    assert long.endswith(" …") and len(long) <= 502 and "wor …" not in long


def test_excerpt_leaves_out_the_headline_and_standfirst_at_the_top_of_the_text() -> None:
    text = (
        "The succession question returns to Moscow's corridors of power\n"
        "Analysis\n"
        "With no designated heir, the elite wonders what comes next. Nobody says it aloud. "
        "Yet everyone plans for it. A fourth sentence."
    )
    assert excerpt(text) == (
        "With no designated heir, the elite wonders what comes next. Nobody says it aloud. "
        "Yet everyone plans for it."
    )
    # A first paragraph that happens to end without a full stop is kept when it is long.
    para = "He spoke for an hour about the purge and the generals " * 3 + "and then left"
    assert excerpt(para + "\nNext. Line.").startswith("He spoke for an hour")
    # Text made of headings only is still shown.
    assert excerpt("Just a headline") == "Just a headline"


def test_html_links_only_http_and_text_part_is_not_escaped() -> None:
    out = render(
        _content(
            _story(title="Tom & Jerry <i>", url="javascript:alert(1)"),
            _story(
                article_id=2, cluster_id=2, also=(Mention("m", None, "data:text/html,x", None),)
            ),
        ),
        timezone="UTC",
        title="t",
    )
    assert "javascript:" not in out.html and "data:text" not in out.html
    assert "Tom &amp; Jerry &lt;i&gt;" in out.html
    assert "Tom & Jerry <i>" in out.text
    assert "date unknown" in out.text  # no published date


def test_dates_are_shown_in_the_configured_time_zone() -> None:
    story = _story(published_at=dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.UTC))
    out = render(_content(story), timezone="Europe/Moscow", title="t")
    assert "2026-11-21 12:00 MSK" in out.text and "2026-11-22 00:30 MSK" in out.text


def test_subject_uses_the_local_date_and_counts() -> None:
    # 21:30 UTC is already the 22nd in Moscow
    assert subject_for(_content(_story()), prefix="nm", timezone="Europe/Moscow") == (
        "nm digest 2026-11-22: 1 new story: Title"
    )
    # The topic and the top headline (long ones cut at a word).
    long = _story(title="Governor of Kursk detained " + "and questioned at length " * 6)
    subject = subject_for(
        _content(long, _story(article_id=2)), prefix="nm", timezone="UTC", topic="Kremlin watch"
    )
    assert subject.startswith("nm Kremlin watch digest 2026-11-21: 2 new stories: Governor of")
    assert subject.endswith(" …") and len(subject) < 160
    assert (
        subject_for(_content(), prefix="nm", timezone="UTC") == "nm digest 2026-11-21: nothing new"
    )


def _built(unsubscribe: str | None) -> EmailMessage:
    rendered = render(_content(_story(title="Кремль: чистка")), timezone="UTC", title="Дайджест")
    msg = build_message(
        rendered,
        subject="Дайджест 2026-11-21: 1 new story",
        sender="newsmon@example.org",
        recipients=["a@example.org"],
        message_id="<x@example.org>",
        date=NOW,
        list_unsubscribe=unsubscribe,
    )
    parsed = email.message_from_bytes(msg.as_bytes(policy=SMTP), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_message_round_trips_non_ascii_and_is_7bit_safe() -> None:
    raw = _built(None).as_bytes()
    assert max(raw) < 128  # quoted-printable bodies, encoded headers
    parsed = _built(None)
    assert parsed["Subject"] == "Дайджест 2026-11-21: 1 new story"
    assert "List-Unsubscribe" not in parsed
    plain = parsed.get_body(preferencelist=("plain",))
    assert plain is not None and "Кремль: чистка" in plain.get_content()
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]


def test_list_unsubscribe_accepts_urls_and_addresses() -> None:
    assert _built("https://example.org/unsub?u=1")["List-Unsubscribe"] == (
        "<https://example.org/unsub?u=1>"
    )
    assert _built("stop@example.org, https://example.org/u")["List-Unsubscribe"] == (
        "<mailto:stop@example.org>, <https://example.org/u>"
    )


def test_recipient_list_key_ignores_order_case_and_spaces() -> None:
    assert recipients_key(["B@x.org", " a@x.org"]) == recipients_key(["a@x.org", "b@x.org"])
    assert recipients_key(["a@x.org"]) != recipients_key(["a@x.org", "b@x.org"])


def test_golden_digest_has_a_headline_list_publications_and_readable_reasons() -> None:
    stories = (
        _story(
            title="Путин отправил в отставку Дюмина",
            source="Коммерсантъ",
            url="https://kommersant.example/1",
            concepts=("dismissal", "elite split"),
            names=("Путин", "Дюмина"),
            watch=("governors",),
        ),
        _story(
            article_id=2,
            cluster_id=2,
            title="A purge reaches the General Staff",
            source="wire.example",
            url="https://wire.example/purge",
            concepts=("purge",),
            names=("Kremlin",),
        ),
    )
    out = render(_content(*stories), timezone="UTC", title="t")
    text = out.text
    head = text.split("Headlines\n---------\n", 1)[1].split("\n\n", 1)[0]
    assert head == (
        "1. Путин отправил в отставку Дюмина (Коммерсантъ) [watch: governors]\n"
        "2. A purge reaches the General Staff (wire.example)"
    )
    why = "Why: watch-list: governors; about dismissal, elite split; names: Путин, Дюмина"
    assert f"   {why}" in text
    assert "   Why: about purge; names: Kremlin" in text
    assert "score" not in text and "seed" not in text
    # The HTML says the same, and each headline links to its story below.
    html = out.html
    assert '<a href="#story-1">Путин отправил в отставку Дюмина</a>' in html
    assert 'id="story-2"' in html
    assert why in html
    assert "score" not in html and "seed" not in html


def test_story_names_are_matched_like_the_lexicon_and_spelled_as_in_the_text() -> None:
    from crawler.matching.names import names_in

    found = names_in(
        "Кремль и губернаторы", "Путина поддержал Шойгу. Путин ответил. В Москве тихо."
    )
    assert found == ["Кремль", "Путина", "Шойгу", "Москве"]
    assert names_in("russian officials", "the russian economy") == []
