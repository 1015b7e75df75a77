"""Pure functions from plan results and client metrics to embeds and reply text.

Every Discord limit lives in this package, so a command can hand over whatever
the API sent (a 10,000-character plan, a dozen charts, `@everyone`) and still
get a message Discord accepts: long text is cut on a word boundary with a
visible mark (never inside open code), chart URLs other than http(s) are
dropped, and a reply's embeds together stay under the 6000-character total
(a plan's chart gallery adds image-only embeds, which count for nothing).
Nothing here does I/O or reads settings.

Text from the API, configuration or a user is untrusted. Names and labels go
through `markdown.escape` (shown exactly as written); a plan keeps its
markdown but goes through `markdown.plan_body`, so a masked link shows its
real address. Neither can mention anyone, and the bot sends with
`AllowedMentions.none()` as well.

One module per reply kind, on a few shared pieces, so a new kind of reply is
a new module beside these rather than a longer one:

- `limits`: Discord's limits, as numbers.
- `markdown`: Discord's markdown: escaping, masked links, code, cuts.
- `parts`: what the replies share: colours, the bot's wording of each
  failure category, the session note, Discord timestamps.
- `source`: the footer line saying where an answer came from.
- `charts`: which chart URLs are shown, and as what (gallery images, links).
- `one_plan` (/plan), `overview` (/plans), `history` (/history), `stats`
  (/cachestats) and `short` (the one-line text replies).
"""
