"""The topic lexicon: stability concepts that count only when they are about Russian power.

Written from the topic definition (Russian leadership stability), in English and Russian with
inflected forms (regex prefixes) and transliterated names, plus common German and Hungarian
forms. It is expert knowledge, not fitted to labelled data: the learned part of the model
(:mod:`crawler.relevance.model`) decides how much it counts.

Each concept has a *scope*, the condition under which a hit counts:

    near     an anchor (Putin, the Kremlin, Russia, ...) in the sentence or the next/previous one
    russia   an anchor in the same sentence (a protest in Russia, not in Plymouth)
    leader   a leader anchor (Putin, the Kremlin, ...) in the same sentence (the leader's health)

and may *require* a second phrase in the same sentence (an arrest of an official or a general,
not of a shoplifter). A war report that names Putin in every sentence has anchors everywhere but
few stability concepts, so the score is a *density*: qualifying sentences over document length.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field

from crawler.relevance.text import normalize, sentences

# A sentence's best concept counts fully, further concepts in the same sentence a little.
EXTRA_CONCEPT = 0.3


def _rx(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")", re.UNICODE)


# Who holds power in Russia: the leader, the Kremlin and the regime's named figures.
LEADER = _rx(
    r"putin\w*",
    r"путин\w*",
    r"putyin\w*",
    r"poutine",
    r"kreml\w*",
    r"кремл\w*",
    r"russia(?:n|'s|’s)?\s+(?:president|leader|leadership|regime|elites?|authorities|"
    r"government|state|oligarchs?|governors?|generals?|officials?|opposition|autocra\w*)",
    r"moscow's\s+(?:elite|leadership|regime)",
    r"medvedev\w*",
    r"медведев\w*",
    r"shoigu",
    r"шойгу",
    r"gerasimov",
    r"герасимов\w*",
    r"prigozhin\w*",
    r"пригожин\w*",
    r"prigozsin\w*",
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
)
# The country (and its capital): anchors a concept, but is weaker evidence than the leader.
COUNTRY = _rx(
    r"russia\w*",
    r"росси\w*",
    r"российск\w*",
    r"moscow\w*",
    r"москв\w*",
    r"russland\w*",
    r"russisch\w*",
    r"russie",
    r"rusia",
    r"oroszorsz\w*",
    r"orosz\w*",
)
OFFICIALS = _rx(
    r"governors?",
    r"generals?\b",
    r"(?:deputy )?(?:defen[cs]e )?ministers?",
    r"officials?",
    r"mayors?",
    r"oligarchs?",
    r"tycoons?",
    r"commanders?",
    r"chiefs?",
    r"critics?",
    r"activists?",
    r"opposition",
    r"journalists?",
    r"губернатор\w*",
    r"генерал\w*",
    r"министр\w*",
    r"замминистр\w*",
    r"чиновник\w*",
    r"мэр\w*",
    r"олигарх\w*",
    r"командующ\w*",
    r"оппозиц\w*",
    r"активист\w*",
    r"gouverneur\w*",
    r"minister\w*",
)


@dataclass(frozen=True)
class Concept:
    """A stability concept: weight, phrases (regex alternatives), scope, optional co-phrase."""

    name: str
    weight: float
    pattern: re.Pattern[str]
    scope: str = "near"
    requires: re.Pattern[str] | None = None


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
            r"umsturz\w*",
            r"staatsstreich\w*",
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
            r"meuter\w*",
            r"aufstand\w*",
            r"lázad\w*",
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
            r"putin's (?:downfall|removal|fall|ouster)",
            r"свергн\w*",
            r"свержени\w*",
            r"смен\w* (?:режима|власти)",
            r"падени\w* режима",
            r"после путина",
            r"уход\w* путина",
            r"regimewechsel\w*",
            r"sturz\w*",
            r"gestürzt",
            r"machtwechsel\w*",
            r"ende der ära",
        ),
    ),
    Concept(
        "succession",
        2.5,
        _rx(
            r"succession",
            r"successors?",
            r"heir apparent",
            r"transfer of power",
            r"transition of power",
            r"term[- ]limits?",
            r"presidential terms?",
            r"reset\w* (?:his|the) (?:terms?|clock)",
            r"2036",
            r"fifth term",
            r"another term",
            r"constitutional (?:amendments?|changes?|overhaul|reform)",
            r"преемни\w*",
            r"передач\w* власти",
            r"транзит\w* власти",
            r"обнулени\w*",
            r"поправк\w* (?:в|к) конституц\w*",
            r"срок\w* полномочий",
            r"nachfolge\w*",
            r"nachfolger\w*",
            r"utód\w*",
        ),
    ),
    Concept(
        "hold on power",
        2.5,
        _rx(
            r"power grab",
            r"hold on power",
            r"grip on (?:power|the country)",
            r"(?:stay|stays|staying|remain|remains|remaining) in power",
            r"cling\w* (?:on )?to power",
            r"rule (?:for ever|forever|for life|until)",
            r"president for life",
            r"for life",
            r"удерж\w* власт\w*",
            r"пожизненн\w*",
            r"несменяем\w*",
            r"machterhalt\w*",
            r"machtkampf\w*",
            r"macht\w* zu sichern",
        ),
    ),
    Concept("purge", 2.5, _rx(r"purg\w*", r"чистк\w*", r"säuberung\w*")),
    Concept(
        "dismissal",
        2.0,
        _rx(
            r"sacked",
            r"sacking",
            r"dismiss\w*",
            r"fired",
            r"reshuffl\w*",
            r"removed from (?:his |her )?(?:post|office)",
            r"stripped of",
            r"resign\w*",
            r"отставк\w*",
            r"уволен\w*",
            r"уволил\w*",
            r"снят\w* с должност\w*",
            r"освобо\w* от должност\w*",
            r"entlass\w*",
            r"rücktritt\w*",
        ),
        requires=OFFICIALS,
    ),
    Concept(
        "arrest",
        2.5,
        _rx(
            r"arrest\w*",
            r"detain\w*",
            r"treason",
            r"bribe\w*",
            r"bribery",
            r"embezzl\w*",
            r"charged with",
            r"jailed",
            r"imprison\w*",
            r"задержан\w*",
            r"задержал\w*",
            r"арест\w*",
            r"госизмен\w*",
            r"взятк\w*",
            r"festgenommen",
            r"festnahm\w*",
            r"verhaftet\w*",
        ),
        scope="russia",
        requires=OFFICIALS,
    ),
    Concept(
        "elite split",
        2.0,
        _rx(
            r"elites?\b",
            r"power struggle",
            r"infighting",
            r"inner circle",
            r"oligarchs?",
            r"tycoons?",
            r"rifts?",
            r"feud\w*",
            r"dissent\w*",
            r"defect\w*",
            r"split\w* (?:in|within)",
            r"элит\w*",
            r"олигарх\w*",
            r"раскол\w*",
            r"борьб\w* за власть",
            r"ближн\w* круг\w*",
            r"окружени\w* путина",
            r"eliten?\b",
            r"oligarch\w*",
            r"machtkampf\w*",
        ),
    ),
    Concept(
        "health",
        2.5,
        _rx(
            r"health",
            r"illness",
            r"\bill\b(?!-)",
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
            r"gesundheit\w*",
            r"krank\w*",
        ),
        scope="leader",
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
            r"tüntet\w*",
        ),
        scope="russia",
    ),
    Concept(
        "opposition",
        2.0,
        _rx(
            r"opposition",
            r"dissidents?",
            r"navaln\w*",
            r"khodorkovsk\w*",
            r"kara-murza",
            r"nemtsov",
            r"yashin",
            r"nadezhdin",
            r"nadeschdin",
            r"political prisoners?",
            r"оппозици\w*",
            r"навальн\w*",
            r"ходорковск\w*",
            r"диссидент\w*",
            r"политзаключ\w*",
            r"немцов\w*",
            r"яшин\w*",
            r"надеждин\w*",
            r"oppositionell\w*",
            r"ellenzék\w*",
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
            r"легитимн\w*",
            r"референдум\w*",
            r"плебисцит\w*",
            r"фальсификац\w*",
            r"вброс\w*",
            r"рейтинг\w*",
            r"legitim\w*",
            r"wahlfälschung\w*",
        ),
    ),
    Concept(
        "election",
        1.0,
        _rx(
            r"elections?",
            r"presidential vote",
            r"выбор\w*",
            r"wahl\w*",
            r"választás\w*",
        ),
        scope="russia",
    ),
    Concept(
        "repression",
        1.5,
        _rx(
            r"crackdown",
            r"repress\w*",
            r"foreign agents?",
            r"poison\w*",
            r"репресси\w*",
            r"иноагент\w*",
            r"иностранн\w* агент\w*",
            r"отравлени\w*",
            r"отравлен\w*",
            r"vergift\w*",
        ),
    ),
    Concept(
        "regime",
        1.0,
        _rx(
            r"regime\w*",
            r"autocra\w*",
            r"dictator\w*",
            r"authoritarian\w*",
            r"stability",
            r"instability",
            r"unstable",
            r"weakness",
            r"power vertical",
            r"режим\w*",
            r"стабильн\w*",
            r"нестабильн\w*",
            r"вертикал\w* власти",
            r"diktat\w*",
            r"rendszer\w*",
        ),
    ),
)
CONCEPT_NAMES = tuple(c.name for c in CONCEPTS)


@dataclass
class LexiconHits:
    """What the lexicon found in one document."""

    sentences: int = 0
    leader: int = 0
    country: int = 0
    # Sum over sentences of the sentence's concept score (see EXTRA_CONCEPT).
    total: float = 0.0
    # Concept score of the title alone.
    title: float = 0.0
    counts: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))
    phrases: defaultdict[str, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def density(self) -> float:
        """Concept score per (log) document length: long war reports do not add up."""
        return self.total / math.log(2 + self.sentences)

    def evidence(self) -> dict[str, float]:
        """Per-concept evidence: weight x log(1 + qualifying hits)."""
        weights = {c.name: c.weight for c in CONCEPTS}
        return {k: weights[k] * math.log1p(n) for k, n in self.counts.items() if n}


def _sentence_score(s: str, leader: bool, near: bool, country: bool, hits: LexiconHits) -> float:
    found: list[float] = []
    for c in CONCEPTS:
        if c.scope == "leader" and not leader:
            continue
        if c.scope == "russia" and not (leader or country):
            continue
        if c.scope == "near" and not near:
            continue
        phrases = c.pattern.findall(s)
        if not phrases or (c.requires is not None and not c.requires.search(s)):
            continue
        found.append(c.weight)
        hits.counts[c.name] += len(phrases)
        for p in phrases:
            hits.phrases[p] += 1
    if not found:
        return 0.0
    found.sort(reverse=True)
    return found[0] + EXTRA_CONCEPT * sum(found[1:])


def analyse(title: str | None, text: str) -> LexiconHits:
    """Anchors and qualifying concept hits of a document (the title is one more sentence)."""
    sents = [normalize(s) for s in sentences(text)]
    head = normalize(title) if title else ""
    if head:
        sents.insert(0, head)
    hits = LexiconHits(sentences=len(sents))
    leader = [bool(LEADER.search(s)) for s in sents]
    country = [bool(COUNTRY.search(s)) for s in sents]
    hits.leader = sum(leader)
    hits.country = sum(country)
    for i, s in enumerate(sents):
        near = any(leader[max(0, i - 1) : i + 2]) or any(country[max(0, i - 1) : i + 2])
        score = _sentence_score(s, leader[i], near, country[i], hits)
        hits.total += score
        if head and i == 0:
            hits.title = score
    return hits
