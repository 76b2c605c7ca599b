"""WCAG 2 contrast over a window's Qt style sheets: the text colour Qt resolved for each widget
(its palette, after the style sheets were applied) against the background the style sheets
give the widget or the nearest ancestor that has one.

Style sheets are parsed here (rules, selector lists, `Type#name` and descendant selectors,
`[prop="value"]`, pseudo-states): a gradient background counts as each of its colours. Rules
for `:disabled` are left out: WCAG 1.4.3 exempts inactive controls.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget

#: WCAG 2 AA: normal text, and large text (24 px, or 18.66 px bold) or graphics
AA_NORMAL, AA_LARGE = 4.5, 3.0
_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}\b|\b(?:white|black|transparent)\b")
_COMPOUND = re.compile(r"^(?P<type>[A-Za-z_][A-Za-z0-9_]*|\*)?(?:#(?P<name>[A-Za-z0-9_]+))?"
                       r"(?P<attrs>(?:\[[^\]]+\])*)(?P<pseudo>(?::{1,2}[a-z-]+)*)$")


def luminance(colour: QColor) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return (0.2126 * channel(colour.redF()) + 0.7152 * channel(colour.greenF())
            + 0.0722 * channel(colour.blueF()))


def ratio(a: QColor, b: QColor) -> float:
    """The WCAG contrast ratio of two opaque colours, 1 to 21."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@dataclass(frozen=True)
class Rule:
    selector: str  # one selector of a list; "" for a sheet without braces (the widget itself)
    declarations: dict[str, str]

    @property
    def backgrounds(self) -> list[QColor]:
        value = self.declarations.get("background-color") or self.declarations.get("background")
        if value is None:
            return []
        return [QColor(c) for c in _COLOUR.findall(value) if c != "transparent"]


def parse(sheet: str) -> list[Rule]:
    sheet = re.sub(r"/\*.*?\*/", "", sheet, flags=re.S)
    if "{" not in sheet:
        return [Rule("", _declarations(sheet))] if sheet.strip() else []
    rules = []
    for selectors, body in _RULE.findall(sheet):
        for selector in selectors.split(","):
            rules.append(Rule(" ".join(selector.split()), _declarations(body)))
    return rules


def _declarations(body: str) -> dict[str, str]:
    out = {}
    for item in body.split(";"):
        if ":" in item:
            key, value = item.split(":", 1)
            out[key.strip().lower()] = value.strip()
    return out


def _matches_compound(compound: str, widget: QWidget) -> bool:
    found = _COMPOUND.match(compound)
    if found is None:
        raise ValueError(f"selector part not understood: {compound!r}")
    kind, name, attrs = found["type"], found["name"], found["attrs"]
    if kind and kind != "*" and not widget.inherits(kind):
        return False
    if name and widget.objectName() != name:
        return False
    for attr in re.findall(r"\[([^\]]+)\]", attrs):
        key, _, value = attr.partition("=")
        if str(widget.property(key.strip())).lower() != value.strip().strip('"').lower():
            return False
    return True


def matches(rule: Rule, widget: QWidget, owner: QWidget) -> bool:
    """Whether `rule`, from `owner`'s style sheet, applies to `widget` as it stands now: a
    `:checked` rule only to a checked button; `:disabled`, `:hover`, `:pressed`, `:focus` never
    (inactive controls are exempt; the others are passing states)."""
    if rule.selector == "":
        return widget is owner
    parts = rule.selector.split(" ")
    pseudo = re.findall(r":{1,2}([a-z-]+)", parts[-1])
    if any(state != "checked" for state in pseudo):
        return False
    if "checked" in pseudo and not (isinstance(widget, QAbstractButton) and widget.isChecked()):
        return False
    if not _matches_compound(parts[-1], widget):
        return False
    ancestor = widget.parentWidget()
    for part in reversed(parts[:-1]):
        while ancestor is not None and not _matches_compound(part, ancestor):
            ancestor = ancestor.parentWidget()
        if ancestor is None:
            return False
        ancestor = ancestor.parentWidget()
    return True


def specificity(rule: Rule) -> tuple[int, int]:
    """CSS specificity, as Qt uses it to pick among the rules of one sheet: ids, then the
    rest (types, attributes, pseudo-states); a widget's own selector-less sheet beats all."""
    if rule.selector == "":
        return (1_000, 0)
    ids = rule.selector.count("#")
    rest = len(re.findall(r"(?:^|\s)[A-Za-z_*]|\[|:", rule.selector))
    return (ids, rest)


def _sheets_in_scope(widget: QWidget) -> Iterator[tuple[QWidget, list[Rule]]]:
    """The style sheets that can style `widget`: its own and its ancestors', nearest first."""
    owner: QWidget | None = widget
    while owner is not None:
        if owner.styleSheet():
            yield owner, parse(owner.styleSheet())
        owner = owner.parentWidget()


def background_of(widget: QWidget) -> list[QColor]:
    """The colours behind `widget`'s text: the style-sheet background of the widget or of its
    nearest ancestor that has one (a widget's own sheet wins over its ancestors')."""
    target: QWidget | None = widget
    while target is not None:
        for owner, rules in _sheets_in_scope(target):
            found = [r for r in rules if r.backgrounds and matches(r, target, owner)]
            if found:  # the most specific rule; the later of equals
                best = max(enumerate(found), key=lambda ir: (specificity(ir[1]), ir[0]))[1]
                return best.backgrounds
        target = target.parentWidget()
    return []


@dataclass(frozen=True)
class Pair:
    where: str
    text: QColor
    background: QColor

    @property
    def ratio(self) -> float:
        return ratio(self.text, self.background)

    def __str__(self) -> str:
        return (f"{self.where}: {self.text.name()} on {self.background.name()} = "
                f"{self.ratio:.2f}:1")


def text_pairs(window: QWidget) -> list[Pair]:
    """Every (text colour, background) pair of the labels and buttons that show text."""
    pairs = []
    for widget in [window, *window.findChildren(QWidget)]:
        widget.ensurePolished()
        if not isinstance(widget, QLabel | QAbstractButton) or not widget.isEnabled():
            continue
        if not widget.text() and not (isinstance(widget, QLabel) and widget.objectName()):
            continue
        role = (QPalette.ColorRole.ButtonText if isinstance(widget, QAbstractButton)
                else QPalette.ColorRole.WindowText)
        text = widget.palette().color(role)
        parent = widget.parentWidget()
        where = (f"{parent.objectName() if parent is not None else ''}/"
                 f"{type(widget).__name__}#{widget.objectName()} {widget.text()[:24]!r}")
        # no style-sheet background anywhere above: the window's own palette shows through
        behind = background_of(widget) or [window.palette().color(QPalette.ColorRole.Window)]
        for background in behind:
            pairs.append(Pair(where, text, background))
    return pairs


def declared_pairs(sheet: str, where: str) -> list[Pair]:
    """The pairs a style sheet states outright: a rule with both `color` and a background."""
    out = []
    for rule in parse(sheet):
        if ":disabled" in rule.selector or "color" not in rule.declarations:
            continue
        for background in rule.backgrounds:
            out.append(Pair(f"{where} {rule.selector or '(widget)'}",
                            QColor(rule.declarations["color"]), background))
    return out
