"""The word diff: changed words marked in context, nothing for no change, always bounded."""

from __future__ import annotations

import pytest

from bot.plans.worddiff import GAP, MAX_WORDS, word_diff


def test_a_changed_word_is_struck_and_its_replacement_bold() -> None:
    """The reader sees what went and what came, in place."""
    assert word_diff("stop 920 today", "stop 925 today") == "stop ~~920~~ **925** today"


def test_added_and_removed_runs_are_marked_alone() -> None:
    """An insertion shows only bold words, a deletion only struck ones."""
    assert word_diff("long over 950", "long NVDA over 950") == "long **NVDA** over 950"
    assert word_diff("long NVDA over 950", "long over 950") == "long ~~NVDA~~ over 950"
    assert word_diff("", "a new plan") == "**a new plan**"


def test_unchanged_text_far_from_a_change_is_elided() -> None:
    """A few words of context around each change; the rest is one mark."""
    old = " ".join(f"w{n}" for n in range(20))
    new = old.replace("w1 ", "X ").replace("w18", "Y")

    assert word_diff(old, new) == "w0 ~~w1~~ **X** w2 w3 w4 … w15 w16 w17 ~~w18~~ **Y** w19"


@pytest.mark.parametrize(("old", "new"), [("a b c", "a b c"), ("a  b\nc", "a b\tc"), ("", " ")])
def test_no_changed_word_is_an_empty_diff(old: str, new: str) -> None:
    """Spacing and line breaks are not words: the caller words "nothing changed"."""
    assert word_diff(old, new) == ""


@pytest.mark.parametrize("limit", [1, 5, 20, 60, 300])
def test_the_diff_stays_within_its_limit(limit: int) -> None:
    """However much changed, the answer fits, and a cut is marked."""
    old = " ".join(f"old{n}" for n in range(500))
    new = " ".join(f"new{n}" for n in range(500))

    diff = word_diff(old, new, limit=limit)

    assert len(diff) <= limit
    if limit >= 20:
        assert diff.startswith("~~old0 old1") and diff.endswith(f"~~ {GAP}")


def test_each_word_is_escaped_before_it_is_marked() -> None:
    """The bot passes Discord's escaping: a word cannot close the marks or format."""
    diff = word_diff(
        "a **b**", "a ~~c~~", escape=lambda w: w.replace("*", "\\*").replace("~", "\\~")
    )
    assert diff == "a ~~\\*\\*b\\*\\*~~ **\\~\\~c\\~\\~**"


def test_a_huge_text_is_compared_only_up_to_max_words() -> None:
    """The work is bounded; a change past the compared words shows as a trailing mark."""
    words = ["same"] * (MAX_WORDS + 10)
    changed = [*words[:-1], "other"]

    assert word_diff(" ".join(words), " ".join(changed)) == GAP


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="limit"):
        word_diff("a", "b", limit=0)
