"""HTML and SVG from the view model, with Jinja2 (autoescaped: patient data never becomes markup).

The templates ship inside the package; the environment is built once per process.
"""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from sarcoma_cds.timeline.layout import Layout
from sarcoma_cds.timeline.view import TumourBoardView

MARK_COLOURS = {
    "boundary": "#c77d00",
    "threshold": "#8d2b0b",
    "due": "#1f7a4d",
    "overdue": "#b3261e",
    "today": "#1f2933",
}
SPAN_COLOURS = {"dfi": "#1f5fa8", "tfi": "#7b4fa6"}


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("sarcoma_cds.timeline", "templates"),
        autoescape=True,  # every template: HTML and SVG alike
        undefined=StrictUndefined,  # a misspelt field fails the tests, not the clinician
        trim_blocks=False,
        lstrip_blocks=False,
    )


def render_svg(layout: Layout, patient_id: str) -> str:
    template = environment().get_template("timeline.svg.j2")
    return template.render(
        L=layout, patient_id=patient_id, mark_colour=MARK_COLOURS, span_colour=SPAN_COLOURS
    )


def render_view(view: TumourBoardView) -> str:
    svg = Markup(render_svg(view.layout, view.patient_id))  # noqa: S704 - our own autoescaped SVG
    return environment().get_template("view.html.j2").render(v=view, svg=svg)


def render_error(title: str, message: str) -> str:
    return environment().get_template("error.html.j2").render(title=title, message=message)
