"""Where a stability concept counts: another country's coup is not Russia's, a Russian region
is Russia even when the sentence never says so."""

from __future__ import annotations

from crawler.relevance.lexicon import analyse, bundled_lexicon


def test_a_coup_plot_abroad_does_not_count_even_with_a_russian_name_in_it() -> None:
    hits = analyse(
        bundled_lexicon(),
        "Armenia's prime minister accuses church leaders of coup plot",
        "Armenia's security services detained an archbishop and a Russian-Armenian billionaire "
        "on charges of plotting a coup. Pashinyan said the plotters wanted to bring the country "
        "back under Moscow's influence.",
    )
    assert hits.total == 0.0
    assert "coup" not in hits.counts


def test_a_sentence_abroad_still_counts_when_it_names_the_kremlin() -> None:
    hits = analyse(
        bundled_lexicon(),
        None,
        "Lukashenko said the Kremlin had asked him to mediate during the mutiny.",
    )
    assert hits.counts["mutiny"] == 1


def test_a_governor_arrested_in_a_russian_region_counts_without_the_word_russia() -> None:
    hits = analyse(
        bundled_lexicon(),
        "Ex-Kursk governor detained",
        "The former governor of the Kursk region was detained on suspicion of embezzling funds.",
    )
    assert hits.counts["arrest"] >= 1
