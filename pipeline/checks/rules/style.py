"""Rules on sentence style, in French, Dutch and English: passive voice, nominalisations, chains of subordinate
clauses, negations piled up. Each finding names the sentence and says what to write instead.

What each rule looks for comes from published plain-language and easy-to-read guidance:

- Passive voice, nominalisations: European Commission (2015), How to write clearly ("prefer verbs to nouns",
  "active not passive"); Inclusion Europe (2009), Information for all ("use active language"); Taalunie and
  Klare Taal B1 guidance ("schrijf actief", "vermijd naamwoordstijl"); FALC: "préférer la forme active".
- Subordinate clauses: Inclusion Europe ("one idea per sentence"); Scolarius and LiNT count clauses per sentence.
- Negations: Inclusion Europe ("use positive sentences rather than negative ones"; avoid double negatives).

They are detected by word lists and suffixes, not by a parser: a sentence is flagged only where the marks are
unambiguous (an auxiliary followed by a past participle, a determiner before a -tion noun), so a flag is worth
reading; some passives and clauses go unseen.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator

from pipeline.checks.document import CheckedFile, Text
from pipeline.checks.findings import Finding
from pipeline.checks.rules.prose import _clip, finding
from pipeline.checks.text import WORD, Sentence
from pipeline.config import CheckOptions


def _words(sentence: Sentence) -> tuple[str, ...]:
    return sentence.lower


def _kind(text: Text) -> str:
    """The kind whose settings a text follows (a digest follows the newsletter's)."""
    return "newsletter" if text.kind == "digest" else text.kind


def _easy(options: CheckOptions, text: Text) -> bool:
    return getattr(options.profiles, _kind(text), "plain") == "easy-to-read"


def _severity(rule, options: CheckOptions, text: Text) -> str:
    return rule.easy_severity if _easy(options, text) else rule.severity


def _maximum(rule, options: CheckOptions, text: Text) -> int:
    return rule.easy_max if _easy(options, text) else rule.plain_max


def _over_limit(file: CheckedFile, text: Text, options: CheckOptions, rule, rule_id: str,
                measure: Callable[[Sentence], tuple[int, str]], what: str, suggestion: str) -> Iterator[Finding]:
    """A finding for each sentence whose `measure` (count, detail) is over the profile's maximum of `rule`."""
    if not rule.enabled or _kind(text) not in rule.kinds:
        return
    maximum = _maximum(rule, options, text)
    for sentence in text.sentences:
        count, detail = measure(sentence)
        if count > maximum:
            yield finding(file, sentence.start, _severity(rule, options, text), rule_id,
                          f"{count} {what}{detail} (at most {maximum}): “{_clip(sentence.text)}”", suggestion)


# --- passive voice --------------------------------------------------------------------------------------------

_FR_ETRE = {"est", "sont", "était", "étaient", "sera", "seront", "serait", "seraient", "soit", "soient", "fut",
            "furent", "été", "être", "étant"}
# Past participles: -é(e)(s), -i(e)(s) and -u(e)(s) of regular verbs, and the common irregular ones.
_FR_PARTICIPLE = re.compile(r"^\w{2,}(?:ée?s?|ie?s?|ue?s?)$|^(?:fait|pris|mis|dit|écrit|ouvert|offert|couvert|"
                            r"produit|construit|conduit|inscrit|décrit|admis|soumis|permis|promis|atteint|"
                            r"craint|peint|joint)(?:e?s?)$")
# Verbs conjugated with être in the active (il est venu), adjectives and adverbs ending like participles.
_FR_NOT_PASSIVE = {"allé", "venu", "arrivé", "parti", "resté", "devenu", "né", "mort", "sorti", "entré", "monté",
                   "descendu", "tombé", "retourné", "revenu", "rentré", "décédé", "intervenu", "parvenu", "survenu",
                   "passé", "aussi", "ici", "ainsi", "parmi", "lui", "celui", "aujourd'hui", "fini", "joli", "vrai",
                   "seule", "nue", "due", "dû", "tenu", "bienvenu", "cru", "plus", "très", "déjà", "assez",
                   "elle", "elles", "qui", "si", "ni", "mi", "pourvu", "prévu", "sûr", "têtu", "ému"}
_FR_BETWEEN = {"pas", "plus", "jamais", "souvent", "toujours", "déjà", "encore", "aussi", "bien", "mal", "ainsi",
               "rarement", "parfois", "désormais", "automatiquement", "très", "trop", "peu", "beaucoup"}

_NL_WORDEN = {"word", "wordt", "worden", "werd", "werden", "geworden"}
_NL_PARTICIPLE = re.compile(r"^(?:ge|be|ver|ont|her|er|over|onder|door|aan|af|op|uit|in|toe|voor|mee|terug)"
                            r"\w*?(?:ge)?\w{2,}(?:d|t|en)$")
_NL_NOT_PARTICIPLE = {"geen", "gegeven", "gemeen", "geleden", "goed", "genoeg", "bent", "dient", "beleid", "gezondheid",
                      "verschillend", "belangrijk", "ongeveer", "geheel", "vaak", "groot", "gelijk", "bijvoorbeeld",
                      "open", "even", "uitgebreid", "oud", "verleden", "eigen", "zelfstandig"}

_EN_BE = {"is", "are", "was", "were", "be", "been", "being", "am"}
_EN_IRREGULAR = {"given", "taken", "known", "shown", "seen", "done", "made", "paid", "sent", "held", "found",
                 "told", "built", "kept", "left", "met", "brought", "bought", "put", "set", "cut", "read", "run",
                 "written", "spent", "lost", "won", "chosen", "driven", "hidden", "forgotten", "spoken", "thought",
                 "taught", "caught", "sold", "understood", "granted", "meant", "heard", "drawn", "grown",
                 "thrown", "broken", "stolen", "frozen", "withdrawn", "undertaken", "overseen", "hit", "shut"}
_EN_NOT_PARTICIPLE = {"need", "indeed", "hundred", "speed", "feed", "seed", "bed", "red", "shed", "bred",
                      "sacred", "naked", "wicked", "ragged", "rugged", "wretched", "beloved", "aged"}
_EN_BETWEEN = {"not", "also", "often", "always", "never", "usually", "rarely", "still", "then", "now", "only",
               "being", "been", "automatically", "directly", "mostly", "largely", "widely", "already", "seldom"}


def _passive_fr(words: tuple[str, ...]) -> int | None:
    if _FR_ETRE.isdisjoint(words):
        return None
    for i, w in enumerate(words):
        if w not in _FR_ETRE or (i and words[i - 1] in {"se", "s'"}):
            continue  # "s'est produit" is active
        j = i + 1
        while j < len(words) and (words[j] in _FR_BETWEEN or words[j] == "été"):
            j += 1
        stem = re.sub(r"(?<=[éiu])e?s?$", "", words[j]) if j < len(words) else ""
        if j < len(words) and stem not in _FR_NOT_PASSIVE and words[j] not in _FR_NOT_PASSIVE \
                and _FR_PARTICIPLE.match(words[j]):
            if w == "été" and i and words[i - 1] not in {"a", "ont", "avait", "avaient", "aura", "auront", "ait"}:
                continue
            return i
    return None


def _passive_nl(words: tuple[str, ...]) -> int | None:
    if _NL_WORDEN.isdisjoint(words):
        return None
    for i, w in enumerate(words):
        if w not in _NL_WORDEN:
            continue
        # Dutch puts the participle at the end of the clause: look up to ten words on, within the clause.
        for later in words[i + 1:i + 11]:
            if later in _NL_NOT_PARTICIPLE or later in _NL_WORDEN:
                continue
            if _NL_PARTICIPLE.match(later) and len(later) > 4:
                return i
    return None


def _passive_en(words: tuple[str, ...]) -> int | None:
    if _EN_BE.isdisjoint(words):
        return None
    for i, w in enumerate(words):
        if w not in _EN_BE:
            continue
        j = i + 1
        while j < len(words) and words[j] in _EN_BETWEEN:
            j += 1
        if j < len(words):
            nxt = words[j]
            if nxt in _EN_IRREGULAR or (nxt.endswith("ed") and len(nxt) > 4 and nxt not in _EN_NOT_PARTICIPLE):
                return i
    return None


_PASSIVE = {"fr": _passive_fr, "nl": _passive_nl, "en": _passive_en}
_ACTIVE_EXAMPLE = {
    "fr": "« L'aide est accordée par le CPAS » → « Le CPAS accorde l'aide »",
    "nl": "„De steun wordt door het OCMW toegekend” → „Het OCMW kent de steun toe”",
    "en": "“The benefit is granted by the centre” → “The centre grants the benefit”",
}


def passive(file: CheckedFile, text: Text, options: CheckOptions) -> Iterator[Finding]:
    """Sentences in the passive voice, with the active sentence to write instead."""
    rule = options.passive
    if not rule.enabled or _kind(text) not in rule.kinds:
        return
    for sentence in text.sentences:
        if _PASSIVE[file.lang](_words(sentence)) is not None:
            yield finding(file, sentence.start, _severity(rule, options, text), "passive",
                          f"passive voice: “{_clip(sentence.text)}”",
                          f"Say who does what, in the active voice: {_ACTIVE_EXAMPLE[file.lang]}")


# --- nominalisations ------------------------------------------------------------------------------------------

_DETERMINERS = {
    "fr": {"le", "la", "les", "l'", "un", "une", "des", "du", "au", "aux", "cette", "ce", "ces", "sa", "son",
           "ses", "leur", "leurs", "notre", "nos", "votre", "vos", "d'", "de"},
    "nl": {"de", "het", "een", "deze", "die", "dit", "dat", "hun", "zijn", "haar", "onze", "uw", "elke", "iedere"},
    "en": {"the", "a", "an", "this", "that", "these", "those", "its", "their", "his", "her", "our", "your", "any"},
}
# Nouns made from verbs; -ment and -ance/-ence only after a determiner (French adverbs end in -ment too).
_NOMINAL_ANYWHERE = {
    "fr": re.compile(r"^\w{4,}(?:ation|ition|ution|ssion|ction|ption)s?$"),
    "nl": re.compile(r"^\w{3,}(?:ering|eling|ing|atie|itie|ctie)s?$|^\w{3,}(?:eringen|ingen|aties)$"),
    "en": re.compile(r"^\w{4,}(?:ation|ition|ution|ssion|ction|ption)s?$"),
}
_NOMINAL_AFTER_DETERMINER = {
    "fr": re.compile(r"^\w{4,}(?:ement|ance|ence|age)s?$"),
    "nl": re.compile(r"^\w{4,}(?:ement|antie|entie)s?$"),
    "en": re.compile(r"^\w{4,}(?:ment|ance|ence|al)s?$"),
}
_NOT_NOMINAL = {"ring", "ding", "king", "ping", "zing", "nation", "station", "portion", "lotion", "mention",
                "question", "questions", "situation", "situations", "information", "inclusion", "exclusion",
                "region", "religion", "condition", "conditions", "position", "session", "sessions", "version",
                "houding", "richting", "woning", "woningen", "regering", "vergadering", "opleiding", "leiding",
                "meeting", "building", "morning", "evening", "thing", "something", "nothing", "anything",
                "everything", "during", "bring", "spring", "string", "sibling", "ceiling", "ling",
                "animal", "total", "social", "national", "local", "general", "several", "individual", "capital",
                "central", "hospital", "journal", "medical", "digital", "original", "festival", "signal",
                "environnement", "gouvernement", "logement", "logements", "document", "documents", "moment",
                "moments", "parlement", "département", "appartement", "âge", "page", "image", "message",
                "messages", "village", "voyage", "fromage", "visage", "étage", "plage", "langage", "chance",
                "France", "france", "science", "sciences", "enfance", "absence", "violence", "conférence",
                "différence", "government", "department", "apartment", "element", "elements",
                "comment", "payment", "distance", "balance", "finance", "silence",
                "sentence", "evidence", "experience", "tenant", "fragment", "instrument", "monument"}
_VERB_EXAMPLE = {
    "fr": "« la vérification de l'éligibilité » → « vérifier si vous avez droit »",
    "nl": "„de controle van de rechthebbendheid” → „nagaan of u recht hebt”",
    "en": "“the verification of eligibility” → “check whether you are entitled”",
}


_FR_ELIDED = re.compile(r"^(?:qu|[ldjnmtsc])'")


def nominalisations_in(lang: str, words: tuple[str, ...] | list[str]) -> list[str]:
    """The nouns made from verbs among `words` (lower case), in order."""
    found = []
    if lang == "fr":
        words = [_FR_ELIDED.sub("", w) if "'" in w else w for w in words]
    determiners = _DETERMINERS[lang]
    for i, w in enumerate(words):
        shape = _nominal_shape(lang, w)
        if shape == _ANYWHERE or (shape == _AFTER_DETERMINER and i and words[i - 1] in determiners):
            found.append(w)
    return found


_NOT, _ANYWHERE, _AFTER_DETERMINER = 0, 1, 2


@functools.lru_cache(maxsize=100_000)
def _nominal_shape(lang: str, w: str) -> int:
    """Whether a word has the shape of a noun made from a verb: anywhere, only after a determiner, or not."""
    if w in _NOT_NOMINAL or "-" in w:
        return _NOT
    if _NOMINAL_ANYWHERE[lang].match(w):
        return _ANYWHERE
    return _AFTER_DETERMINER if _NOMINAL_AFTER_DETERMINER[lang].match(w) else _NOT


def nominalisations(file: CheckedFile, text: Text, options: CheckOptions) -> Iterator[Finding]:
    """Sentences with more nouns made from verbs than the profile allows, each with its verb alternative."""
    def measure(sentence: Sentence) -> tuple[int, str]:
        found = nominalisations_in(file.lang, _words(sentence))
        return len(found), f" ({', '.join(found)})"

    yield from _over_limit(file, text, options, options.nominalisations, "nominalisation", measure,
                           "nouns made from verbs in one sentence",
                           f"Use the verbs instead: {_VERB_EXAMPLE[file.lang]}")


# --- subordinate clauses --------------------------------------------------------------------------------------

_FR_SUBORDINATORS = {"qui", "dont", "où", "lequel", "laquelle", "lesquels", "lesquelles", "auquel", "auxquels",
                     "auxquelles", "duquel", "desquels", "puisque", "lorsque", "quand", "quoique", "comme"}
_FR_QUE_NOT_CLAUSE = {"plus", "moins", "autant", "aussi", "davantage", "autre", "même", "ne", "n'", "tel", "telle",
                      "si", "tant"}
_NL_SUBORDINATORS = {"omdat", "doordat", "zodat", "terwijl", "hoewel", "nadat", "voordat", "totdat", "indien",
                     "wanneer", "waardoor", "waarin", "waarop", "waarmee", "waarbij", "waarvan", "waarna",
                     "zodra", "tenzij", "mits", "aangezien", "opdat", "ofschoon"}
_NL_AFTER_COMMA = {"die", "dat", "wat", "als", "of", "waar", "wie"}
_EN_SUBORDINATORS = {"which", "who", "whom", "whose", "because", "although", "though", "whereas", "unless",
                     "while", "whether", "until", "whenever", "wherever"}
_EN_AFTER_COMMA = {"that", "if", "when", "where", "since", "as"}


_AFTER_COMMA = re.compile(r",\s+(\w+)")
_DEMONSTRATIVE = {"en": ("that", {"is", "was", "are", "were", "'s"}), "nl": ("dat", {"is", "was"})}


def _occurrences(listed: set[str], words: tuple[str, ...]) -> int:
    """How many of `words` are in `listed` (most sentences have none or one: counted by set, not word by word)."""
    return 0 if listed.isdisjoint(words) else sum(words.count(w) for w in listed.intersection(words))


def subordinate_clauses(lang: str, sentence: Sentence) -> int:
    """How many subordinate clauses a sentence opens (by their conjunctions and relative pronouns)."""
    words = _words(sentence)
    if lang == "fr":
        count = _occurrences(_FR_SUBORDINATORS, words)
        if "que" not in words and "qu'" not in "\0".join(words):
            return count  # no que nor qu' in the sentence: its words need not be read one by one
        for i, w in enumerate(words):
            clause = w in {"que", "qu'"} or w.startswith("qu'")
            if clause and not any(p in _FR_QUE_NOT_CLAUSE or p.startswith("n'") for p in words[max(0, i - 4):i]):
                count += 1
        return count  # compound conjunctions (parce que, bien que) end in que: counted there
    subordinators, listed_after_comma = ((_NL_SUBORDINATORS, _NL_AFTER_COMMA) if lang == "nl"
                                         else (_EN_SUBORDINATORS, _EN_AFTER_COMMA))
    count = _occurrences(subordinators, words)
    text = ""
    if "," in sentence.text:
        text = " " + sentence.text.lower().replace("’", "'") + " "
        count += sum(1 for w in _AFTER_COMMA.findall(text) if w in listed_after_comma)
    # "that" / "dat" opening a clause after a noun or verb (not "that is", not a sentence's first word).
    conjunction, demonstrative = _DEMONSTRATIVE[lang]
    if conjunction in words and f", {conjunction}" not in text:
        count += sum(1 for i, w in enumerate(words) if w == conjunction and i
                     and (words[i + 1] if i + 1 < len(words) else "") not in demonstrative)
    return count


def subordinates(file: CheckedFile, text: Text, options: CheckOptions) -> Iterator[Finding]:
    """Sentences that chain more subordinate clauses than the profile allows."""
    yield from _over_limit(file, text, options, options.subordinates, "subordinate-clauses",
                           lambda sentence: (subordinate_clauses(file.lang, sentence), ""),
                           "subordinate clauses in one sentence",
                           "One idea a sentence: make each clause a sentence of its own")


# --- negations ------------------------------------------------------------------------------------------------

_NEGATIONS = {
    "fr": {"ne", "n'", "sans", "ni", "non", "aucun", "aucune", "nul", "nulle"},
    "nl": {"niet", "geen", "nooit", "niets", "niemand", "nergens", "zonder", "noch", "evenmin"},
    "en": {"not", "no", "never", "none", "nothing", "nobody", "nowhere", "neither", "nor", "without", "cannot"},
}
_POSITIVE_EXAMPLE = {
    "fr": "« il n'est pas rare qu'on ne reçoive aucune aide » → « souvent, on ne reçoit pas d'aide »",
    "nl": "„het is niet ongewoon dat men geen steun krijgt” → „vaak krijgt men geen steun”",
    "en": "“it is not unusual to get no help” → “people often get no help”",
}


_CLAUSE_BREAK = re.compile(r"[,;:()–—]")
_NEGATING_PARTS = {"fr": "n'", "en": "n't"}
"""What a word that negates holds in these languages when it is not listed (n'est, don't)."""


def negations_in(lang: str, words: list[str]) -> int:
    """How many negations words carry (French ne… pas counts once, as its ne)."""
    if _NEGATIONS[lang].isdisjoint(words) and (lang not in _NEGATING_PARTS or _NEGATING_PARTS[lang] not in
                                                "\0".join(words)):
        return 0  # most sentences: no need to read their words one by one
    count = 0
    for w in words:
        if w in _NEGATIONS[lang] or (lang == "fr" and w.startswith("n'")) or (lang == "en" and w.endswith("n't")):
            if lang == "fr" and w in {"aucun", "aucune", "nul", "nulle"}:
                continue  # "ne … aucun" is one negation, counted at its ne
            count += 1
    return count


def negations(file: CheckedFile, text: Text, options: CheckOptions) -> Iterator[Finding]:
    """Sentences with more negations than the profile allows, with the positive sentence to write instead."""
    def measure(sentence: Sentence) -> tuple[int, str]:
        total = negations_in(file.lang, sentence.lower)
        if total <= 1:
            return total, ""  # one negation or none: no clause can hold more
        # Piled up means within one clause: "pays the bills but does not decide: no say" is two clauses.
        clauses = [[w.lower().replace("’", "'") for w in WORD.findall(part)]
                   for part in _CLAUSE_BREAK.split(sentence.text)]
        return max((negations_in(file.lang, c) for c in clauses), default=0), ""

    yield from _over_limit(file, text, options, options.negations, "negations", measure,
                           "negations in one clause", f"Say it positively: {_POSITIVE_EXAMPLE[file.lang]}")
