"""Near-duplicate stories: items from different feeds with similar titles form one cluster.

The same link from several feeds is already one item (the store sees to that); this
groups the same story told by several outlets under different links.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pipeline.watch.themes import words

# Endings stripped (at most twice, longest first) so that inflections of a title word
# compare equal; a stem keeps at least four letters. Cruder than theme matching can
# afford: here two titles must share most of their words anyway.
_SUFFIXES = ("ements", "ement", "ingen", "ing", "es", "en", "ed", "er", "e", "s", "x")
_MIN_STEM = 4


def stem(word: str) -> str:
    """A light stem of an already folded word."""
    if word.endswith("aux") and len(word) > 5:  # French plural: sociaux -> social
        word = word[:-3] + "al"
    for _ in range(2):
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
                word = word[: -len(suffix)]
                break
        else:
            break
    return word


def stems(text: str) -> list[str]:
    """The stems of the words of `text` (case and accents folded), in order."""
    return [stem(w) for w in words(text)]

# Words too common to tell stories apart (folded and stemmed like titles are).
STOP_WORDS = frozenset(
    stems(
        "les des une pour par sur dans avec est qui que aux du la le un et en au de "
        "het een van voor met die dat zijn naar wordt bij ook nog maar "
        "the and for with are from that this its into about has have new how why what"
    )
)
# A word shared by more items than this is ignored when looking for candidates.
_MAX_POSTINGS = 200


@dataclass(frozen=True)
class Story:
    """What clustering needs to know of an item."""

    id: str
    title: str
    published: datetime
    feeds: frozenset[int | str]


def title_words(title: str) -> frozenset[str]:
    """The distinctive words of a title: folded, stemmed, without stop words."""
    return frozenset(w for w in stems(title) if len(w) > 2 and w not in STOP_WORDS)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """The Dice coefficient of two word sets: 1 for the same words, 0 for none in common."""
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def cluster_stories(stories: Sequence[Story], threshold: float, max_days: float) -> dict[str, str]:
    """The cluster id of each story: the id of its cluster's earliest story.

    Two stories join when their titles are at least `threshold` similar, they come from
    different feeds and were published at most `max_days` apart.
    """
    words = [title_words(s.title) for s in stories]
    postings: dict[str, list[int]] = defaultdict(list)
    for i, ws in enumerate(words):
        for w in ws:
            postings[w].append(i)
    parent = list(range(len(stories)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, story in enumerate(stories):
        shared: Counter[int] = Counter()
        for w in words[i]:
            posting = postings[w]
            if len(posting) <= _MAX_POSTINGS:
                shared.update(j for j in posting if j > i)
        for j, common in shared.items():
            other = stories[j]
            if 2 * common / (len(words[i]) + len(words[j])) < threshold:
                continue
            if story.feeds & other.feeds:
                continue
            if abs((story.published - other.published).total_seconds()) > max_days * 86400:
                continue
            parent[find(j)] = find(i)
    members: dict[int, list[int]] = defaultdict(list)
    for i in range(len(stories)):
        members[find(i)].append(i)
    clusters = {}
    for group in members.values():
        head = min(group, key=lambda k: (stories[k].published, stories[k].id))
        for k in group:
            clusters[stories[k].id] = stories[head].id
    return clusters
