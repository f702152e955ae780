"""The situational picture page, its chart images, and the figures as JSON or CSV for reporting."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Litestar, Request, Response, get
from litestar.params import Parameter
from litestar.response import Template

from core.common.clock import now, today
from core.common.dates import MONTH_HINT
from core.common.errors import ValidationFailed
from core.identity.guards import AUTHENTICATED, require_user
from core.situation import charts, export, formatting, services
from core.situation.months import month_text
from core.situation.services import Picture, Selection
from core.web.openapi import MONTH_PATTERN, add_response_media_type, restrict_query_choices
from core.web.pages import render
from core.web.runtime import Runtime, runtime_of

Req = Request[Any, Any, Any]
STYLESHEET = Path(__file__).parent / "static" / "situation.css"
FORMATTERS = {
    "figure_value": formatting.figure_value,
    "figure_change": formatting.figure_change,
    "cell_text": formatting.cell_text,
    "age": formatting.age,
    "age_tone": formatting.age_tone,
    "month_hint": MONTH_HINT,
}


def _query(selection: Selection, **extra: str) -> str:
    params = {
        "start": f"{selection.first.year}-{selection.first.month:02d}",
        "end": f"{selection.last.year}-{selection.last.month:02d}",
        "municipality": selection.municipality,
        "unit": selection.unit,
        **extra,
    }
    return urlencode({k: v for k, v in params.items() if v})


async def _selection(request: Req, **given: Any) -> Selection:
    runtime = runtime_of(request)
    return await services.parse_selection(
        services.declared_metrics(runtime.host), runtime.settings.municipalities, today(), **given
    )


async def _picture(request: Req, selection: Selection, chart: str) -> tuple[Picture, Any]:
    """The picture, and the figure drawn in the charts (`chart`, else the first)."""
    user = require_user(request)
    metrics = services.declared_metrics(runtime_of(request).host)
    chosen = chart if chart in metrics else next(iter(metrics), "")
    picture = await services.picture(metrics, selection, user.can, split_metric=chosen)
    figure = next((f for f in picture.figures if f.metric.name == chosen), None)
    return picture, figure


class SituationPages(Controller):
    path = "/situation"
    include_in_schema = False
    opt = {"permission": "situation.view"}

    @get("/")
    async def page(
        self,
        request: Req,
        start: str = "",
        end: str = "",
        municipality: str = "",
        unit: str = "",
        chart: str = "",
    ) -> Template:
        runtime = runtime_of(request)
        values = {"start": start, "end": end, "municipality": municipality, "unit": unit}
        context: dict[str, Any] = {
            "values": values,
            "municipality_options": [(m, m) for m in runtime.settings.municipalities],
            "now": now(),
            **FORMATTERS,
        }
        try:
            selection = await _selection(
                request, start=start, end=end, municipality=municipality, unit=unit
            )
        except ValidationFailed as exc:
            units = await services.known_units()
            return render(
                request,
                "situation/page.html",
                status_code=400,
                errors=exc.errors,
                unit_options=[(u, u) for u in units],
                **context,
            )
        picture, chosen = await _picture(request, selection, chart)
        values.update(start=month_text(selection.first), end=month_text(selection.last))
        drawn = _charts(picture, chosen)
        return render(
            request,
            "situation/page.html",
            picture=picture,
            chosen=chosen,
            charts=drawn,
            chart_rows=_table_rows(drawn),
            query=_query(selection, chart=chosen.metric.name if chosen else ""),
            periods=_period_labels(selection),
            unit_options=[(u, u) for u in picture.units],
            **context,
        )

    @get("/chart/{name:str}")
    async def chart(
        self,
        request: Req,
        name: str,
        start: str = "",
        end: str = "",
        municipality: str = "",
        unit: str = "",
        chart: str = "",
    ) -> Response[str]:
        """One chart of the page as an SVG image without scripts."""
        try:
            selection = await _selection(
                request, start=start, end=end, municipality=municipality, unit=unit
            )
        except ValidationFailed:
            return Response("", status_code=400, media_type="text/plain")
        picture, chosen = await _picture(request, selection, chart)
        found = dict(_charts(picture, chosen))
        if name not in found:
            return Response("", status_code=404, media_type="text/plain")
        high_contrast = runtime_of(request).settings.theme == "high_contrast"
        return Response(
            charts.render_svg(found[name], high_contrast),
            media_type="image/svg+xml",
            headers={
                "Content-Security-Policy": charts.CHART_CSP,
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "private, max-age=60",
            },
        )

    @get("/situation.css", opt={"permission": AUTHENTICATED})
    async def stylesheet(self) -> Response[bytes]:
        return Response(
            STYLESHEET.read_bytes(),
            media_type="text/css",
            headers={"Cache-Control": "private, max-age=3600"},
        )


def _charts(picture: Picture, chosen: Any) -> list[tuple[str, charts.ChartData]]:
    """The page's charts by name: customers per service, the chosen figure's trend and
    municipalities, and the distribution of every split figure."""
    found = [("customers", charts.customers_trend(picture))]
    if chosen is not None:
        title = services_trend_title(chosen)
        found.append(("trend", charts.trend([chosen], title)))
        if chosen.by_municipality:
            found.append(("municipalities", charts.by_municipality(chosen)))
    for figure in picture.figures:
        if figure.splits:
            found.append((f"split-{figure.metric.name}", charts.distribution(figure)))
    return found


def _table_rows(
    drawn: list[tuple[str, charts.ChartData]],
) -> dict[str, list[tuple[str, list[str]]]]:
    """The data table under each chart as text, row by row (label, cells): formatted here in
    one pass rather than cell by cell in the template (the municipalities' table has hundreds
    of rows)."""
    return {
        name: [
            (label, [formatting.cell_text(cells[row]) for _series, cells in chart.series])
            for row, label in enumerate(chart.labels)
        ]
        for name, chart in drawn
    }


def services_trend_title(figure: Any) -> str:
    from core.i18n import gettext

    return gettext("%(figure)s, 24 months", figure=gettext(figure.metric.label))


def _period_labels(selection: Selection) -> dict[str, str]:
    def text(s: Selection) -> str:
        if s.first == s.last:
            return month_text(s.first)
        return f"{month_text(s.first)}–{month_text(s.last)}"

    return {
        "current": text(selection),
        "previous": text(selection.previous),
        "year": text(selection.year_earlier),
    }


# The operation's description in the OpenAPI schema: it names the refusals a schema cannot state.
METRICS_API = (
    "The figures of a period per month, region and municipality (or the one area asked for), "
    "as JSON or CSV (`format=csv`). No personal data; cells of fewer than five customers are "
    "hidden. Besides what each parameter's schema refuses, the answer is 400 with `errors` "
    "naming the parameter for rules across parameters, which a schema cannot state: a period "
    "ending before it starts or longer than five years (`to`), a unit without figures or both "
    "a municipality and a unit (`unit`)."
)


class SituationApi(Controller):
    path = "/api/situation"
    opt = {"permission": "situation.view"}
    tags = ["situation"]

    @get("/metrics", description=METRICS_API)
    async def metrics(
        self,
        request: Req,
        start: str = Parameter(query="from", default="", pattern=MONTH_PATTERN),
        end: str = Parameter(query="to", default="", pattern=MONTH_PATTERN),
        municipality: str = "",
        unit: str = "",
        metric: list[str] | None = None,
        format: str = Parameter(default="json", pattern="^(json|csv)$"),
    ) -> Response[Any]:
        """`METRICS_API`: the figures of a period, refused with 400 as the page refuses."""
        if format not in ("json", "csv"):
            raise ValidationFailed({"format": "Use json or csv."})
        try:
            selection = await _selection(
                request,
                start=start,
                end=end,
                municipality=municipality,
                unit=unit,
                metric_names=metric or (),
            )
        except ValidationFailed as exc:  # core answers 400 in the API's documented shape
            names = {"start": "from", "end": "to"}  # the API's own parameter names
            raise ValidationFailed({names.get(k, k): v for k, v in exc.errors.items()}) from exc
        metrics = services.declared_metrics(runtime_of(request).host)
        rows = await export.export_rows(metrics, selection)
        if format == "csv":
            return Response(export.as_csv(rows), media_type="text/csv; charset=utf-8")
        return Response(export.as_json(rows), media_type="application/json")


def document_api_choices(app: Litestar, runtime: Runtime) -> None:
    """The API's schema names the region's municipalities and the declared figures, so every
    value it allows is one the API accepts (schemathesis holds it to that), and the CSV form."""
    path = SituationApi.path + "/metrics"
    restrict_query_choices(
        app,
        path,
        {
            "municipality": runtime.settings.municipalities,
            "metric": list(services.declared_metrics(runtime.host)),
        },
    )
    add_response_media_type(app, path, "text/csv")
