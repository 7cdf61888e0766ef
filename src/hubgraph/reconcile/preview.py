"""Preview: the small HTML card OpenRefine shows in a frame when a user hovers a candidate.

Every piece of text from the graph is escaped; the card loads nothing (no script, no
image, no style sheet), and the HTTP layer sends it with a Content-Security-Policy that
forbids them anyway.
"""

from __future__ import annotations

from html import escape

from hubgraph.reconcile.register import Entity, Register, Stance, latest_positions, stances_about

WIDTH, HEIGHT = 400, 200
STYLE = (
    "body{font:13px/1.4 system-ui,sans-serif;margin:8px;color:#222}"
    "h1{font-size:15px;margin:0 0 4px}ul{margin:4px 0;padding-left:18px}"
    ".muted{color:#666}"
)


def preview_html(register: Register, entity: Entity, stances: list[Stance]) -> str:
    kinds = ", ".join(t.name for t in entity.types)
    lines = [f'<h1>{escape(entity.name)}</h1><p class="muted">{escape(kinds)}']
    if entity.qid:
        url = f"https://www.wikidata.org/wiki/{entity.qid}"
        status = f" ({escape(entity.qid_status)})" if entity.qid_status else ""
        lines.append(
            f' · <a href="{escape(url)}" target="_blank" rel="noopener">'
            f"{escape(entity.qid)}</a>{status}"
        )
    lines.append("</p>")
    offices = []
    for mandate in register.mandates_of(entity):
        status = f" ({mandate.status})" if mandate.status else ""
        if mandate.holder == entity.iri:
            offices.append(register.name_of(mandate.office) + status)
        else:
            offices.append(f"held by {register.name_of(mandate.holder)}{status}")
    if offices:
        lines.append("<p>Office: " + escape("; ".join(offices)) + "</p>")
    latest = latest_positions(stances, entity)
    if latest:
        items = []
        for policy, stances in sorted(latest.items()):
            positions = ", ".join(dict.fromkeys(s.position_name for s in stances))
            dates = ", ".join(dict.fromkeys(s.date for s in stances if s.date))
            when = f" ({escape(dates)})" if dates else ""
            items.append(
                f"<li>{escape(register.name_of(policy))}: <b>{escape(positions)}</b>{when}</li>"
            )
        lines.append("<p>Latest position:</p><ul>" + "".join(items) + "</ul>")
    count = len(stances_about(stances, entity))
    lines.append(f'<p class="muted">{count} observation{"s" if count != 1 else ""}</p>')
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(entity.name)}</title><style>{STYLE}</style></head>"
        f"<body>{''.join(lines)}</body></html>"
    )
