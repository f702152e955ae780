"""The customer's own data as a readable PDF (fpdf2): the same sections as the page
`/oma/my-data`, in the reader's language, to keep or print."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fpdf import FPDF

from core.common.clock import now
from core.i18n import fmt_date, fmt_datetime, fmt_phone, gettext
from core.labels import label
from core.web.templates import shown_value

# DejaVu Sans covers every name's letters; without it Helvetica, which knows Latin-1 only.
UNICODE_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
UNICODE_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
HIDDEN_PARTS = ("exceptions", "pauses")


class DataDocument:
    """A plain A4 document of headings, name–value lines and paragraphs."""

    def __init__(self, title: str) -> None:
        self.pdf = FPDF(format="A4")
        self.pdf.set_title(title)
        self.unicode = UNICODE_FONT.exists() and UNICODE_BOLD.exists()
        if self.unicode:
            self.pdf.add_font("body", "", str(UNICODE_FONT))
            self.pdf.add_font("body", "B", str(UNICODE_BOLD))
        self.family = "body" if self.unicode else "Helvetica"
        self.pdf.add_page()

    def text(self, value: str) -> str:
        return value if self.unicode else value.encode("latin-1", "replace").decode("latin-1")

    def heading(self, value: str, size: int = 13) -> None:
        self.pdf.ln(3)
        self.pdf.set_font(self.family, style="B", size=size)
        self.pdf.multi_cell(0, 7, self.text(value), new_x="LMARGIN", new_y="NEXT")

    def line(self, value: str) -> None:
        self.pdf.set_font(self.family, size=10)
        self.pdf.multi_cell(0, 5, self.text(value), new_x="LMARGIN", new_y="NEXT")

    def pair(self, name: str, value: str) -> None:
        self.line(f"{name}: {value}")

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def _customer_value(name: str, value: Any) -> str:
    if name == "status":
        return label("customer.status", value)
    if name == "language":
        return label("language", value)
    if name == "phone":
        return fmt_phone(value)
    return shown_value(value)


def _records(section: Any) -> list[dict[str, Any]]:
    if isinstance(section, dict):
        return list(section.get("services", []))
    return list(section) if isinstance(section, list) else []


def data_pdf(data: dict[str, Any], customer_name: str, region_name: str, proxy: bool) -> bytes:
    """`core.citizen.my_data.customer_data` as a document. A relative acting for the customer
    (`proxy`) gets headings that name the customer ("Henkilön Maija Virtanen tiedot"), as the
    page does, not "your"."""
    if proxy:
        title = gettext("%(name)s's data", name=customer_name)
        heading = title
    else:
        title = gettext("Your data")
        heading = f"{title}: {customer_name}"
    doc = DataDocument(title)
    doc.heading(heading, size=16)
    doc.line(f"{region_name}, {fmt_datetime(now())}")
    if proxy:
        doc.heading(gettext("%(name)s's details", name=customer_name))
    else:
        doc.heading(gettext("Your details"))
    for name, value in data["customer"].items():
        if value not in (None, ""):
            doc.pair(label("field", name), _customer_value(name, value))
    if data["contact_persons"]:
        doc.heading(gettext("Contact persons"))
        for person in data["contact_persons"]:
            parts = [person["name"], person.get("relationship") or "", fmt_phone(person["phone"])]
            doc.line(", ".join(p for p in parts if p))
    for title, section in data["services"].items():
        doc.heading(title)
        for record in _records(section):
            for name, value in record.items():
                if name not in HIDDEN_PARTS and value not in (None, ""):
                    doc.pair(label("field", name), shown_value(value))
            doc.pdf.ln(2)
    if data.get("decisions"):
        doc.heading(gettext("Decisions"))
        for decision in data["decisions"]:
            doc.heading(decision["title"], size=11)
            doc.pair(gettext("Decision date"), fmt_date(decision["decided_on"]))
            if decision["effective_date"]:
                doc.pair(gettext("Takes effect"), fmt_date(decision["effective_date"]))
            if decision["decision_maker"]:
                doc.pair(gettext("Decision maker"), decision["decision_maker"])
            if decision["basis"]:
                doc.pair(gettext("Basis"), decision["basis"])
    if proxy:
        doc.heading(gettext("Who has viewed %(name)s's data", name=customer_name))
    else:
        doc.heading(gettext("Who has viewed your data"))
    for entry in data["access_log"]:
        roles = ", ".join(label("role", c) for c in (entry["actor_roles"] or "").split(",") if c)
        who = f"{entry['actor_name']} ({roles})" if roles else entry["actor_name"]
        what = (
            f"{label('audit.action', entry['action'])} – {label('audit.entity', entry['entity'])}"
        )
        doc.line(f"{fmt_datetime(entry['at'])}  {who}: {what}")
    return doc.output()
