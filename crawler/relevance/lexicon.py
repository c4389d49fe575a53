"""The topic lexicon: stability concepts that count only near a Russian-power anchor.

Written from the topic definition (Russian leadership stability), in English and Russian with
inflected forms (regex prefixes) and transliterated names, plus a few Latin-script spellings of
the anchors in other European languages. It is expert knowledge, not fitted to any labelled data:
the learned part of the model (:mod:`crawler.relevance.model`) decides how much it counts.

A concept hit counts fully when an anchor (Putin, the Kremlin, Russia's elite, ...) occurs in the
same sentence or within ``WINDOW`` sentences of it, and at ``UNANCHORED`` weight otherwise: a coup
in Niger or a health rumour about another leader is not the topic, and neither is a war report
that mentions Putin but no stability concept.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field

from crawler.relevance.text import normalize, sentences

WINDOW = 2
UNANCHORED = 0.2


def _rx(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")", re.UNICODE)


# Who holds power in Russia. Names are spelled as English, Russian and common transliterations.
ANCHORS = _rx(
    r"putin\w*",
    r"путин\w*",
    r"putyin\w*",
    r"poutine",
    r"kreml\w*",
    r"кремл\w*",
    r"russia(?:n|'s|’s)?\s+(?:president|leader|leadership|regime|elites?|authorities|"
    r"government|state|army|military|oligarchs?|governors?|generals?|officials?|opposition)",
    r"moscow's\s+(?:elite|leadership|regime)",
    r"medvedev\w*",
    r"медведев\w*",
    r"shoigu",
    r"шойгу",
    r"gerasimov",
    r"герасимов\w*",
    r"prigozhin\w*",
    r"пригожин\w*",
    r"patrushev",
    r"патрушев\w*",
    r"sobyanin",
    r"собянин\w*",
    r"kadyrov\w*",
    r"кадыров\w*",
    r"mishustin",
    r"мишустин\w*",
    r"united russia",
    r"единая россия",
    r"единой россии",
    r"state duma",
    r"госдум\w*",
    r"fsb",
    r"фсб",
    r"siloviki",
    r"силовик\w*",
    r"lukashenko\w*",
    r"лукашенк\w*",
)
# Weaker anchors: the country itself. Enough to anchor a concept, not enough alone.
COUNTRY = _rx(
    r"russia\w*",
    r"росси\w*",
    r"российск\w*",
    r"moscow\w*",
    r"москв\w*",
    r"russland\w*",
    r"russie",
    r"rusia",
    r"rosj\w*",
    r"rosyj\w*",
    r"oroszorsz\w*",
    r"orosz\w*",
)


@dataclass(frozen=True)
class Concept:
    """A stability concept: a weight and the phrases (regex alternatives) that express it."""

    name: str
    weight: float
    pattern: re.Pattern[str]


CONCEPTS: tuple[Concept, ...] = (
    Concept(
        "coup",
        3.0,
        _rx(
            r"coups?\b",
            r"putsch\w*",
            r"coup d.etat",
            r"переворот\w*",
            r"путч\w*",
            r"puccs\w*",
        ),
    ),
    Concept(
        "mutiny",
        3.0,
        _rx(
            r"mutin\w*",
            r"rebellion",
            r"insurrection",
            r"uprising",
            r"march on moscow",
            r"armed revolt",
            r"мятеж\w*",
            r"бунт\w*",
            r"восстани\w*",
            r"поход\w* на москву",
        ),
    ),
    Concept(
        "regime change",
        3.0,
        _rx(
            r"regime change",
            r"overthr\w*",
            r"toppl\w*",
            r"oust\w*",
            r"end of putin\w*",
            r"after putin",
            r"post-putin",
            r"fall of (?:the|putin's|his) regime",
            r"regime (?:collapse|fall)\w*",
            r"collapse of (?:the|his|putin's) regime",
            r"remov\w* putin",
            r"putin's (?:downfall|removal|fall)",
            r"свергн\w*",
            r"свержени\w*",
            r"смен\w* (?:режима|власти)",
            r"падени\w* режима",
            r"после путина",
            r"уход\w* путина",
        ),
    ),
    Concept(
        "succession",
        2.5,
        _rx(
            r"succession",
            r"successor\w*",
            r"heir apparent",
            r"transfer of power",
            r"transition of power",
            r"rule (?:for ever|forever|for life)",
            r"president for life",
            r"(?:stay|remain)\w* in power",
            r"cling\w* to power",
            r"term[- ]limits?",
            r"presidential terms?",
            r"reset\w* (?:his|the) (?:terms?|clock)",
            r"2036",
            r"constitutional (?:amendments?|changes?|overhaul|reform)",
            r"преемни\w*",
            r"передач\w* власти",
            r"транзит\w* власти",
            r"обнулени\w*",
            r"пожизненн\w*",
            r"поправк\w* (?:в|к) конституци\w*",
            r"срок\w* полномочий",
        ),
    ),
    Concept(
        "purge",
        2.5,
        _rx(
            r"purg\w*",
            r"sacked",
            r"sacking",
            r"dismiss\w*",
            r"fired",
            r"reshuffl\w*",
            r"removed from (?:his |her )?(?:post|office)",
            r"stripped of",
            r"resign\w*",
            r"чистк\w*",
            r"отставк\w*",
            r"уволен\w*",
            r"уволил\w*",
            r"снят\w* с должност\w*",
            r"освобо\w* от должност\w*",
            r"перестановк\w*",
        ),
    ),
    Concept(
        "arrest",
        2.0,
        _rx(
            r"arrest\w*",
            r"detain\w*",
            r"treason",
            r"bribe\w*",
            r"bribery",
            r"embezzl\w*",
            r"charged with",
            r"задержан\w*",
            r"задержал\w*",
            r"арест\w*",
            r"госизмен\w*",
            r"взятк\w*",
            r"уголовн\w* дел\w*",
        ),
    ),
    Concept(
        "officials",
        1.0,
        _rx(
            r"governors?",
            r"generals?\b",
            r"deputy (?:defen[cs]e )?ministers?",
            r"defen[cs]e ministry",
            r"ministry of defen[cs]e",
            r"officials",
            r"губернатор\w*",
            r"генерал\w*",
            r"замминистр\w*",
            r"заместител\w* министр\w*",
            r"минобороны",
            r"министерств\w* обороны",
            r"чиновник\w*",
        ),
    ),
    Concept(
        "elite split",
        2.5,
        _rx(
            r"elites?\b",
            r"power struggle",
            r"infighting",
            r"inner circle",
            r"oligarchs?",
            r"tycoons?",
            r"rift",
            r"feud\w*",
            r"dissent\w*",
            r"defect\w*",
            r"split\w* (?:in|within)",
            r"элит\w*",
            r"олигарх\w*",
            r"раскол\w*",
            r"борьб\w* за власть",
            r"ближн\w* круг\w*",
            r"окружени\w*",
        ),
    ),
    Concept(
        "health",
        2.0,
        _rx(
            r"health",
            r"ill\b",
            r"illness",
            r"sick\w*",
            r"cancer",
            r"parkinson\w*",
            r"surgery",
            r"body doubles?",
            r"здоровь\w*",
            r"болезн\w*",
            r"болен",
            r"рак\b",
            r"онколог\w*",
            r"паркинсон\w*",
            r"двойник\w*",
        ),
    ),
    Concept(
        "protest",
        2.0,
        _rx(
            r"protest\w*",
            r"demonstrat\w*",
            r"rall(?:y|ies)",
            r"took to the streets",
            r"unrest",
            r"протест\w*",
            r"митинг\w*",
            r"демонстрац\w*",
            r"беспорядк\w*",
            r"вышл\w* на улиц\w*",
        ),
    ),
    Concept(
        "opposition",
        2.0,
        _rx(
            r"opposition",
            r"dissidents?",
            r"naval\w*",
            r"khodorkovsk\w*",
            r"kara-murza",
            r"nemtsov",
            r"yashin",
            r"political prisoners?",
            r"оппозици\w*",
            r"навальн\w*",
            r"ходорковск\w*",
            r"диссидент\w*",
            r"политзаключ\w*",
            r"немцов\w*",
            r"яшин\w*",
        ),
    ),
    Concept(
        "legitimacy",
        2.0,
        _rx(
            r"legitima\w*",
            r"referend\w*",
            r"plebiscite",
            r"rigged",
            r"sham (?:vote|election)\w*",
            r"election fraud",
            r"ballot[- ]stuff\w*",
            r"vote[- ]rigging",
            r"popularity",
            r"approval ratings?",
            r"ratings",
            r"elections?",
            r"легитимн\w*",
            r"референдум\w*",
            r"плебисцит\w*",
            r"фальсификац\w*",
            r"вброс\w*",
            r"рейтинг\w*",
            r"выбор\w*",
        ),
    ),
    Concept(
        "repression",
        1.5,
        _rx(
            r"crackdown",
            r"repress\w*",
            r"foreign agents?",
            r"poison\w*",
            r"jailed",
            r"imprison\w*",
            r"репресси\w*",
            r"иноагент\w*",
            r"иностранн\w* агент\w*",
            r"отравлени\w*",
            r"отравлен\w*",
        ),
    ),
    Concept(
        "power",
        1.5,
        _rx(
            r"hold on power",
            r"grip on power",
            r"hold on (?:the )?country",
            r"his power",
            r"(?:in|to|from) power",
            r"weakness",
            r"weakened",
            r"regime\w*",
            r"stability",
            r"instability",
            r"unstable",
            r"power vertical",
            r"autocra\w*",
            r"dictator\w*",
            r"authoritarian\w*",
            r"режим\w*",
            r"стабильн\w*",
            r"нестабильн\w*",
            r"вертикал\w* власти",
            r"удерж\w* власт\w*",
            r"у власти",
            r"рукой власти",
        ),
    ),
)
CONCEPT_NAMES = tuple(c.name for c in CONCEPTS)


@dataclass
class LexiconHits:
    """What the lexicon found in one document."""

    anchors: int = 0
    country: int = 0
    sentences: int = 0
    # concept -> anchored-weighted hit count
    counts: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    # matched phrase -> weighted count, for explanations
    phrases: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))
    title_concepts: set[str] = field(default_factory=set)

    def evidence(self) -> dict[str, float]:
        """Per-concept evidence: weight x log(1 + hits), diminishing returns on repetition."""
        return {
            c.name: c.weight * math.log1p(self.counts[c.name])
            for c in CONCEPTS
            if self.counts[c.name]
        }


def analyse(title: str | None, text: str) -> LexiconHits:
    """Find anchors and anchored concept hits in a document (title counts as a sentence)."""
    sents = [normalize(s) for s in sentences(text)]
    head = normalize(title) if title else ""
    if head:
        sents.insert(0, head)
    hits = LexiconHits(sentences=len(sents))
    anchored = [False] * len(sents)
    for i, s in enumerate(sents):
        strong = len(ANCHORS.findall(s))
        weak = len(COUNTRY.findall(s))
        hits.anchors += strong
        hits.country += weak
        if strong or weak:
            for j in range(max(0, i - WINDOW), min(len(sents), i + WINDOW + 1)):
                anchored[j] = True
    for i, s in enumerate(sents):
        factor = 1.0 if anchored[i] else UNANCHORED
        for concept in CONCEPTS:
            found = concept.pattern.findall(s)
            if not found:
                continue
            hits.counts[concept.name] += factor * len(found)
            for phrase in found:
                hits.phrases[phrase] += factor
            if head and i == 0:
                hits.title_concepts.add(concept.name)
    return hits
