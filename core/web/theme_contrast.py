"""A theme's colours must keep text readable: WCAG 2.1 AA contrast (4.5:1) for every pair of
text and background colour that the stylesheet combines, checked when the app starts.

A theme sets its colours as CSS custom properties on `:root` (style.css defines them all;
theme.css overrides some), so the check reads those and needs no browser."""

from __future__ import annotations

import re
from pathlib import Path

import wcag_contrast_ratio

MINIMUM = 4.5  # WCAG 2.1 AA, normal-size text

# (text colour, background colour) as style.css combines them.
TEXT_ON_BACKGROUND = (
    ("ink", "paper"), ("muted", "paper"), ("brand", "paper"), ("brand-dark", "paper"),
    ("error", "paper"), ("ok", "paper"), ("warn", "paper"), ("ink", "band"),
    ("brand-ink", "brand"), ("brand-ink", "brand-dark"), ("header-ink", "header-bg"),
    ("nav-ink", "nav-bg"), ("tag-neutral-ink", "tag-neutral-bg"), ("tag-info-ink", "tag-info-bg"),
    ("tag-success-ink", "tag-success-bg"), ("tag-warning-ink", "tag-warning-bg"),
    ("tag-danger-ink", "tag-danger-bg"), ("ink", "notice-success-bg"),
    ("ink", "notice-info-bg"), ("ink", "notice-warning-bg"),
)  # fmt: skip

_ROOT = re.compile(r":root\s*\{([^}]*)\}")
_VARIABLE = re.compile(r"--([a-z0-9-]+)\s*:\s*(#[0-9a-fA-F]{3,6})\b")


def theme_colours(stylesheets: list[Path]) -> dict[str, str]:
    """The `:root` colour variables of the stylesheets, later ones overriding earlier ones."""
    colours: dict[str, str] = {}
    for path in stylesheets:
        if path.is_file():
            for block in _ROOT.findall(path.read_text(encoding="utf-8")):
                colours.update(_VARIABLE.findall(block))
    return colours


def _rgb(hex_colour: str) -> tuple[float, float, float]:
    digits = hex_colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    red, green, blue = (int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return red, green, blue


def contrast_problems(colours: dict[str, str]) -> list[str]:
    """Each text/background pair below AA contrast, as 'text on background: 3.1:1'."""
    problems = []
    for text, background in TEXT_ON_BACKGROUND:
        if text in colours and background in colours:
            ratio = wcag_contrast_ratio.rgb(_rgb(colours[text]), _rgb(colours[background]))
            if ratio < MINIMUM:
                problems.append(
                    f"--{text} {colours[text]} on --{background} {colours[background]}: "
                    f"{ratio:.1f}:1"
                )
    return problems
