"""Chart URLs: only http(s) survives, the gallery's embeds, and the extra charts' links."""

from __future__ import annotations

from cogs.render import charts, limits


def test_only_http_and_https_chart_urls_survive() -> None:
    urls = [
        "https://cdn.example.com/a.png?ex=1",
        "http://cdn.example.com/b.png",
        "HTTPS://CDN.EXAMPLE.COM/C.PNG",
        "javascript:alert(1)",
        "data:image/png;base64,AAAA",
        "ftp://example.com/x.png",
        "/relative/x.png",
        "https://",
        "https://cdn.example.com/with space.png",
        "https://cdn.example.com/" + "x" * limits.URL_LIMIT,
        "https://cdn.example.com/a.png?ex=1",
    ]
    assert charts.safe_chart_urls(urls) == urls[:3]


def test_extra_charts_are_packed_into_at_most_three_fields_and_the_rest_counted() -> None:
    urls = [f"https://cdn.example.com/{n}/{'y' * 150}.png" for n in range(40)]

    fields = charts.chart_link_fields(urls, first_number=2)

    assert 1 <= len(fields) <= charts.MAX_CHART_LINK_FIELDS
    assert all(len(value) <= limits.FIELD_VALUE_LIMIT for _, value in fields)
    shown = sum(value.count("[Chart ") for _, value in fields)
    assert fields[-1][1].endswith(f"and {40 - shown} more")


def test_a_parenthesis_cannot_break_a_chart_link() -> None:
    [(_, value)] = charts.chart_link_fields(["https://x.example/a_(1).png"], first_number=2)
    assert value == "[Chart 2](https://x.example/a_%281%29.png)"


def test_gallery_embeds_carry_only_the_cards_url_and_an_image() -> None:
    card = "https://cdn.example.com/1.png"
    embeds = charts.gallery_embeds(card, ["https://cdn.example.com/2.png", "https://x.example/3"])
    assert [{k: v for k, v in e.to_dict().items() if k not in ("type", "flags")}
            for e in embeds] == [
        {"url": card, "image": {"url": "https://cdn.example.com/2.png"}},
        {"url": card, "image": {"url": "https://x.example/3"}},
    ]  # fmt: skip
