"""What each rule of `crebis check` asks for, in the writer's language: shown beside a finding in the HTML report
and carried in the JSON report's `rules`."""

from __future__ import annotations

EXPLANATIONS: dict[str, dict[str, str]] = {
    "readability": {
        "fr": "Le score de lisibilité manque sa cible : raccourcissez les phrases et préférez des mots courts.",
        "nl": "De leesbaarheidsscore haalt het doel niet: maak zinnen korter en kies kortere woorden.",
        "en": "The readability score misses its target: shorten sentences and prefer short words.",
    },
    "sentence-length": {
        "fr": "Une phrase longue oblige à retenir beaucoup à la fois : une idée par phrase.",
        "nl": "Een lange zin vraagt veel van het geheugen: één idee per zin.",
        "en": "A long sentence asks the reader to hold a lot at once: one idea per sentence.",
    },
    "paragraph-length": {
        "fr": "Un long paragraphe décourage : coupez-le en paragraphes d'une idée chacun.",
        "nl": "Een lange alinea schrikt af: verdeel hem in alinea's van één idee.",
        "en": "A long paragraph discourages: cut it into paragraphs of one idea each.",
    },
    "jargon": {
        "fr": "Un terme de spécialiste : dites-le avec les mots de tous les jours.",
        "nl": "Een vakterm: zeg het in gewone woorden.",
        "en": "A specialist's term: say it in everyday words.",
    },
    "acronym": {
        "fr": "Un sigle que le lecteur ne connaît peut-être pas : écrivez d'abord le nom complet.",
        "nl": "Een afkorting die de lezer misschien niet kent: schrijf eerst de volledige naam.",
        "en": "An acronym the reader may not know: write the full name first.",
    },
    "percentage": {
        "fr": "Tout le monde ne se représente pas un pourcentage : dites aussi « 1 sur 3 ».",
        "nl": "Niet iedereen kan zich een percentage voorstellen: zeg ook „1 op de 3”.",
        "en": "Not every reader pictures a percentage: also say “1 in 3”.",
    },
    "passive": {
        "fr": "La forme passive cache qui agit : dites qui fait quoi (forme active).",
        "nl": "De lijdende vorm verbergt wie iets doet: zeg wie wat doet (bedrijvende vorm).",
        "en": "The passive hides who acts: say who does what (active voice).",
    },
    "nominalisation": {
        "fr": "Des noms tirés de verbes alourdissent la phrase : utilisez les verbes.",
        "nl": "Naamwoordstijl maakt de zin zwaar: gebruik werkwoorden.",
        "en": "Nouns made from verbs weigh the sentence down: use the verbs.",
    },
    "subordinate-clauses": {
        "fr": "Trop de propositions imbriquées : une idée par phrase, une phrase par idée.",
        "nl": "Te veel bijzinnen na elkaar: één idee per zin.",
        "en": "Too many clauses chained together: one idea per sentence.",
    },
    "negations": {
        "fr": "Les négations accumulées se comprennent mal : dites-le de façon positive.",
        "nl": "Opgestapelde ontkenningen zijn moeilijk te begrijpen: zeg het positief.",
        "en": "Piled-up negations are hard to follow: say it positively.",
    },
    "rare-word": {
        "fr": "Un mot rare, que beaucoup de lecteurs ne connaissent pas : prenez un mot courant ou expliquez-le.",
        "nl": "Een zeldzaam woord dat veel lezers niet kennen: kies een gewoon woord of leg het uit.",
        "en": "A rare word many readers do not know: use a common word or explain it.",
    },
}


def explanation(rule: str, lang: str) -> str | None:
    """What `rule` asks for, in `lang` (English where the language has no text), or None for other rules."""
    texts = EXPLANATIONS.get(rule)
    return None if texts is None else texts.get(lang, texts["en"])
