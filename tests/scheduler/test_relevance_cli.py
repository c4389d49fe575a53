"""The relevance commands end to end through the CLI: score, review, label, train, rescore,
rollback, eval and seeds add, on a fresh config + SQLite database made by `newsmon init`."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from crawler.relevance.corpus import read_jsonl
from scheduler.cli import main
from storage.articles import insert_article
from storage.dedup import text_hash
from storage.engine import make_engine, make_session_factory
from storage.models import Article, Label
from storage.records import ArticleRecord

ARTICLES = {
    "purge": (
        "Kremlin purges defence ministry",
        "The Kremlin dismissed the deputy defence minister and investigators arrested two "
        "generals on treason charges. Analysts call it a purge that exposes a split in "
        "Putin's elite and a struggle over succession.",
    ),
    "war": (
        "Drones hit power plants",
        "Russian drones struck power plants in Ukraine overnight. Putin said the military "
        "operation would continue, and the European Union prepared new sanctions.",
    ),
    "garden": (
        "Allotment show",
        "The allotment society held its annual show, with prizes for the largest marrow, "
        "the best roses and a jam competition judged by the mayor.",
    ),
    "mobilisation": (
        "Wives of mobilised soldiers gather in Moscow",
        "Wives of mobilised soldiers gathered near the Kremlin walls to demand their husbands "
        "come home. Putin's administration worries about the mood before the vote.",
    ),
}


@pytest.fixture
def cfg(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "newsmon.toml"
    assert main(["--config", str(path), "init"]) == 0
    capsys.readouterr()
    return path


def _db(cfg: Path) -> str:
    return f"sqlite:///{cfg.parent / 'newsmon.db'}"


def _insert(cfg: Path, articles: dict[str, tuple[str | None, str]] | None = None) -> dict[str, int]:
    """Store ``articles`` (key -> (title, text); default ARTICLES) unscored; returns their ids."""
    engine = make_engine(_db(cfg))
    ids = {}
    with make_session_factory(engine, write=True).begin() as session:
        for key, (title, text) in (articles or ARTICLES).items():
            rec = ArticleRecord(
                url=f"https://news.example.org/{key}",
                canonical_url=f"https://news.example.org/{key}",
                source="wire",
                title=title,
                author=None,
                published_at=None,
                fetched_at=dt.datetime.now(dt.UTC),
                language="en",
                site_name=None,
                text=text,
                text_hash=text_hash(text),
                minhash=None,
                relevance_score=None,
                relevant=None,
                why=None,
                model_version=None,
                duplicate_of=None,
                duplicate_kind=None,
                cluster_id=None,
                crawl_run_id=None,
            )
            ids[key], _ = insert_article(session, rec)
    engine.dispose()
    return ids


def _articles(cfg: Path) -> dict[str, Article]:
    engine = make_engine(_db(cfg))
    with make_session_factory(engine)() as session:
        rows = {a.url.rsplit("/", 1)[1]: a for a in session.scalars(select(Article))}
    engine.dispose()
    return rows


def run(cfg: Path, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(["--config", str(cfg), *argv])
    out = capsys.readouterr().out
    assert code == 0, out
    return out


def test_score_stdin_writes_one_line_per_input_in_order(
    cfg: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = [
        {"id": "a", "title": ARTICLES["garden"][0], "text": ARTICLES["garden"][1]},
        {"id": 2, "title": ARTICLES["purge"][0], "text": ARTICLES["purge"][1]},
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(json.dumps(x) for x in lines)))
    out = [json.loads(x) for x in run(cfg, capsys, "score", "-").splitlines()]
    assert [o["id"] for o in out] == ["a", 2]
    assert [o["relevant"] for o in out] == [False, True]
    assert set(out[1]) == {"id", "score", "relevant", "why"}
    assert out[1]["why"]["terms"] and out[1]["why"]["nearest_seed"].endswith(".txt")


def test_score_files_text_and_html(cfg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    golden = Path(__file__).parent.parent / "crawler" / "relevance" / "golden"
    files = [str(golden / "positive_purge.html"), str(golden / "off_topic.html")]
    out = [json.loads(x) for x in run(cfg, capsys, "score", *files).splitlines()]
    assert [o["id"] for o in out] == files
    assert [o["relevant"] for o in out] == [True, False]


def test_label_train_rescore_rollback_round_trip(
    cfg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ids = _insert(cfg)
    out = run(cfg, capsys, "rescore")
    assert "rescored 4 articles" in out
    first = _articles(cfg)
    v1 = first["purge"].model_version
    assert v1 and first["purge"].relevant and not first["war"].relevant
    assert first["purge"].why and first["purge"].why["terms"]

    listing = run(cfg, capsys, "review")
    # The most uncertain (score nearest the threshold) comes first.
    order = [
        int(line.split()[0]) for line in listing.splitlines()[1:] if line[:6].strip().isdigit()
    ]
    distance = {a.id: abs((a.relevance_score or 0.0) - 0.5) for a in first.values()}
    assert sorted(order) == sorted(distance)
    assert [distance[i] for i in order] == sorted(distance.values())

    shown = run(cfg, capsys, "review", "show", str(ids["mobilisation"]))
    assert "Wives of mobilised soldiers" in shown and "score:" in shown

    # The reviewer says the soldiers' wives are a threat to the regime: relevant.
    before = first["mobilisation"].relevance_score or 0.0
    run(cfg, capsys, "review", "label", str(ids["mobilisation"]), "--relevant", "--reviewer", "ann")
    run(cfg, capsys, "review", "label", str(ids["purge"]), "--relevant", "--reviewer", "ann")
    # Several IDs in one command (the desk's CLI counterpart).
    flag = "--not-relevant"
    run(
        cfg,
        capsys,
        "review",
        "label",
        str(ids["war"]),
        str(ids["garden"]),
        flag,
        "--reviewer",
        "bob",
    )
    shown = run(cfg, capsys, "review", "show", str(ids["war"]), str(ids["garden"]))
    assert shown.count("label:     not relevant by bob") == 2
    engine = make_engine(_db(cfg))
    with make_session_factory(engine)() as session:
        labels = list(session.scalars(select(Label).order_by(Label.id)))
    engine.dispose()
    assert [(lab.article_id, lab.relevant, lab.reviewer) for lab in labels] == [
        (ids["mobilisation"], True, "ann"),
        (ids["purge"], True, "ann"),
        (ids["war"], False, "bob"),
        (ids["garden"], False, "bob"),
    ]
    assert all(lab.created_at is not None for lab in labels)
    assert str(ids["mobilisation"]) not in run(cfg, capsys, "review").split("\n", 1)[1][:7]

    trained = run(cfg, capsys, "train")
    assert "before (seeds only)" in trained and "after, cross-validated" in trained
    assert f"previous model {v1} kept" in trained
    run(cfg, capsys, "rescore")
    second = _articles(cfg)
    v2 = second["mobilisation"].model_version
    assert v2 and v2 != v1
    assert (second["mobilisation"].relevance_score or 0.0) > before

    rolled = run(cfg, capsys, "train", "--rollback")
    assert f"-> {v1}" in rolled
    run(cfg, capsys, "rescore")
    third = _articles(cfg)
    assert third["mobilisation"].model_version == v1
    assert third["mobilisation"].relevance_score == first["mobilisation"].relevance_score


def test_label_unknown_article_is_a_usage_error(
    cfg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--config", str(cfg), "review", "label", "999", "--relevant", "--reviewer", "x"])
    assert code == 2
    assert "no article with id 999" in capsys.readouterr().err


def test_eval_prints_metrics_matrix_and_curve(
    cfg: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    sample = tmp_path / "sample.jsonl"
    rows = [
        {"text": ARTICLES["purge"][1], "title": ARTICLES["purge"][0], "label": "rel"},
        {"text": ARTICLES["war"][1], "label": "near"},
        {"html": f"<html><body><p>{ARTICLES['garden'][1]}</p></body></html>", "label": False},
        {"text": ARTICLES["mobilisation"][1], "label": True},
    ]
    sample.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    out = run(cfg, capsys, "eval", str(sample))
    assert "items: 4 (relevant 2, not relevant 2)" in out
    assert "precision: 1.000" in out
    assert "actually relevant" in out and "threshold curve" in out
    assert "near         0/1 (0.0%)" in out


def test_seeds_add_from_article_and_file_then_train_uses_them(
    cfg: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    ids = _insert(cfg)
    out = run(cfg, capsys, "seeds", "add", str(ids["purge"]))
    assert "seed added" in out
    note = tmp_path / "note.txt"
    note.write_text("Succession talk grows in the Kremlin as Putin ages.", encoding="utf-8")
    run(cfg, capsys, "seeds", "add", str(note))
    assert "already present" in run(cfg, capsys, "seeds", "add", str(note))
    listing = run(cfg, capsys, "seeds", "list")
    assert "7 seed articles" in listing
    assert "Kremlin purges defence ministry" in listing
    assert "7 seeds" in run(cfg, capsys, "train")


# Ten articles from the project's own development sets, chosen near the threshold: with these
# labels a refit does worse on held-out labels (cross-validated F1 0.80) than the seeds-only
# model does on them (0.875), so `train` must not put it in use.
UNHELPFUL_LABELS = [
    "rel-en-01",
    "d2-en-rel-36",
    "near-en-50",
    "rel-ru-14",
    "d2-en-rel-39",
    "d2-en-near-31",
    "rel-ru-09",
    "d2-en-rel-22",
    "rel-en-23",
    "rel-ru-17",
]


def test_train_keeps_the_current_model_when_labels_make_it_worse(
    cfg: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    here = Path(__file__).resolve().parents[1] / "relevance"
    dev = {d.id: d for name in ("devset.jsonl", "devset2.jsonl") for d in read_jsonl(here / name)}
    ids = _insert(cfg, {key: (dev[key].title, dev[key].text) for key in UNHELPFUL_LABELS})
    run(cfg, capsys, "rescore")
    v1 = _articles(cfg)[UNHELPFUL_LABELS[0]].model_version
    for key in UNHELPFUL_LABELS:
        flag = "--relevant" if dev[key].relevant else "--not-relevant"
        run(cfg, capsys, "review", "label", str(ids[key]), flag, "--reviewer", "ann")

    out = run(cfg, capsys, "train")
    assert "saved but NOT made current" in out
    assert f"{v1} stays current" in out
    run(cfg, capsys, "rescore")
    assert {a.model_version for a in _articles(cfg).values()} == {v1}

    forced = run(cfg, capsys, "train", "--force")
    assert "(current)" in forced and f"previous model {v1} kept" in forced
    run(cfg, capsys, "rescore")
    (v2,) = {a.model_version for a in _articles(cfg).values()}
    assert v2 != v1
