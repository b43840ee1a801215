"""Write an HTML page that mimics two Jupyter output cells showing our ``_repr_html_``.

Usage: .venv/bin/python scripts/render_repr_html.py [OUT.html]   (default /tmp/repr.html)

Runs against the in-process fake DigitalOcean API (250 snapshots, seed 3), so no token or network
is needed. The page's stylesheet copies the standard JupyterLab / classic-notebook
``.rendered_html`` table rules, so the screenshot shows what a user sees in a notebook.
"""

from __future__ import annotations

import html
import sys
from pathlib import Path

from gradientai_rs import GradientAI
from gradientai_rs.testing import FakeDigitalOcean

# JupyterLab's `.jp-RenderedHTMLCommon` / classic `.rendered_html` table look.
JUPYTER_CSS = """
body {
  margin: 0; padding: 12px 16px; background: #fff; color: rgba(0, 0, 0, 0.87);
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif,
               "Noto Color Emoji", "Noto Sans CJK JP";
  font-size: 13px;
}
.cell { display: flex; align-items: flex-start; margin: 0 0 18px 0; }
.prompt {
  flex: 0 0 auto; width: 64px; padding: 0.5em 8px 0 0; text-align: right;
  font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 13px; color: #d84315;
}
.prompt code { color: #616161; font-family: inherit; }
.label { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px;
         color: #616161; margin: 0 0 4px 0; }
.output { flex: 1 1 auto; overflow-x: auto; min-width: 0; }
.rendered_html { font-size: 13px; line-height: 1.4; }
.rendered_html code { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 11px; }
.rendered_html table {
  border: none; border-collapse: collapse; border-spacing: 0; color: rgba(0, 0, 0, 0.87);
  font-size: 13px; table-layout: fixed; margin-left: 0; margin-right: auto; margin-bottom: 1em;
}
.rendered_html thead { border-bottom: 1px solid #bdbdbd; vertical-align: bottom; }
.rendered_html tr, .rendered_html th, .rendered_html td {
  text-align: right; vertical-align: middle; padding: 0.5em; line-height: normal;
  white-space: normal; max-width: none; border: none;
}
.rendered_html th { font-weight: bold; }
.rendered_html tbody tr:nth-child(odd) { background: #fff; }
.rendered_html tbody tr:nth-child(even) { background: #f5f5f5; }
.rendered_html caption { padding: 0 0 0.4em 0; }
"""


def _cell(n: int, expr: str, body: str) -> str:
    return (
        "<div class='cell'>"
        f"<div class='prompt'>Out[{n}]:</div>"
        "<div class='output'>"
        f"<div class='label'>{html.escape(expr)}</div>"
        f"<div class='rendered_html'>{body}</div>"
        "</div></div>"
    )


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else "/tmp/repr.html")
    with FakeDigitalOcean(snapshots=250, seed=3, token="fake-token") as fake:
        client = GradientAI(api_key="fake-token", base_url=fake.url)
        snaps = client.gpu_droplets.snapshots.list_all()
        page = client.gpu_droplets.snapshots.list(per_page=20)
        cells = [
            _cell(1, "client.gpu_droplets.snapshots.list_all()", snaps._repr_html_()),
            _cell(2, "client.gpu_droplets.snapshots.list(per_page=20)", page._repr_html_()),
        ]
    doc = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        "<title>gradientai_rs _repr_html_</title>"
        f"<style>{JUPYTER_CSS}</style></head><body>{''.join(cells)}</body></html>\n"
    )
    out.write_text(doc, encoding="utf-8")
    print(f"wrote {out} ({len(doc)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
