"""From features to a score (0–100) and to ``match``.

The order is what a person checking a column would trust: the QID or id given, then the
label as written, an alias as written, the normalised label, the normalised alias, and
below those a partial name ("Kurti") scored by its similarity. Each property condition that
fails halves the score, so a namesake with the wrong office sinks without vanishing.
"""

from __future__ import annotations

from hubgraph.reconcile.features import Features

PARTIAL_WEIGHT = 80.0
"""A partial name scores at most this, below every exact kind of match."""
MIN_SIMILARITY = 0.6
"""Candidates less similar than this are not returned (unless the QID or id matched)."""


def score(features: Features) -> float:
    if features.qid or features.id or features.label_exact:
        base = 100.0
    elif features.alias_exact:
        base = 95.0
    elif features.label_normalised:
        base = 90.0
    elif features.alias_normalised:
        base = 85.0
    else:
        base = PARTIAL_WEIGHT * features.name_similarity
    for _, holds in features.conditions:
        if not holds:
            base /= 2
    return round(base, 1)


def is_candidate(features: Features, has_text: bool) -> bool:
    if not has_text:  # a query by properties only: every entity that satisfies them all
        return features.conditions_hold
    return features.exact or features.name_similarity >= MIN_SIMILARITY


def decide_matches(candidates: list[Features]) -> list[bool]:
    """``match`` is true for a candidate only when it is the one exact match (within the
    query's types, which the candidates already are) and its property conditions hold."""
    sure = [f.exact and f.conditions_hold for f in candidates]
    return sure if sum(sure) == 1 else [False] * len(candidates)
