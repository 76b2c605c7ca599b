"""The review queue as a Qt table model that filters and sorts its own cases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QColor, QFont

from counter_core import periods
from counter_core.figures import is_overtime, overtime_seconds
from counter_core.ratings import OVERTIME_REASONS, POOR_RATINGS, RATING_LABELS, Choice
from counter_core.reviews import FOLLOW_UP_CAUSES, OVERTIME_CAUSES
from counter_core.timer import format_mmss

#: lupdate collects `translate("Context", "text")` calls into the catalogues
translate = QCoreApplication.translate

Index = QModelIndex | QPersistentModelIndex
SORT_ROLE = Qt.ItemDataRole.UserRole + 1



def label(choices: Sequence[Choice], code: str | None, language: str) -> str:
    """A choice's label in the UI language; the code itself when unknown."""
    if not code:
        return ""
    for choice in choices:
        if choice.code == code:
            return choice.zh if language.startswith("zh") else choice.en
    return code


#: follow-ups: the 好差评 deadline, the business order number, a shift's handover
FOLLOW_UP_COLUMNS: tuple[str, ...] = ("due", "order_no", "handover")


class QueueRow:
    """One case in the queue, with what filters and sorting need computed once."""

    __slots__ = ("_local", "_tz", "appeal_open", "appealed", "data", "follow_up_done",
                 "is_overtime", "is_poor", "review_done", "type_changed_after_target")

    def __init__(self, data: dict[str, Any], tz: dt.tzinfo) -> None:
        self.data = data
        self._tz = tz
        self._local: dt.datetime | None = None  # parsed when first shown: a year has thousands
        # the one overtime predicate (counter_core.figures), as the queries, KPIs and exports
        self.is_overtime = data.get("status", "completed") == "completed" and is_overtime(data)
        self.is_poor = data.get("rating") in POOR_RATINGS
        self.review_done = bool(data.get("cause"))
        self.follow_up_done = bool(data.get("follow_up_cause"))
        #: the type was changed (F3) after the target had passed: it still counts as overtime
        #: against the target passed, unless a manager accepts the change in the review
        self.type_changed_after_target = bool(data.get("type_changed_after_target"))
        #: the clerk appealed the rating (申诉); open until a manager other than them decides
        self.appealed = data.get("appeal_seq") is not None
        self.appeal_open = self.appealed and data.get("appeal_upheld") is None

    @property
    def txn(self) -> str:
        return str(self.data["txn"])

    @property
    def local(self) -> dt.datetime:
        """When it started, in the hall's time."""
        if self._local is None:
            self._local = periods.parse_utc(self.data["started_at"]).astimezone(self._tz)
        return self._local

    @property
    def day(self) -> dt.date:
        return self.local.date()

    # ---- follow-up deadlines, order numbers, handovers (from the read model's row) ---------

    @property
    def follow_up_due(self) -> dt.date | None:
        """The local day a poor rating's follow-up is due by (好差评), None for no poor one."""
        due = self.data.get("follow_up_due")
        return due if isinstance(due, dt.date) else None

    @property
    def overdue(self) -> bool:
        """A poor rating with no follow-up past its deadline."""
        return bool(self.data.get("overdue"))

    @property
    def handed_over_by(self) -> str | None:
        return self.data.get("handed_over_by") or None

    @property
    def reviewed(self) -> bool:
        """Every review this case needs is recorded."""
        return ((not self.is_overtime or self.review_done)
                and (not self.is_poor or self.follow_up_done))


class QueueFilter:
    """Staff, type, kind of case, "unreviewed only" and "overdue only"; the date range is the
    SQL query's."""

    #: "appeals": the appealed ratings (申诉), whatever their day (ReviewTab loads them)
    KINDS = ("all", "overtime", "poor", "appeals")

    def __init__(self) -> None:
        self.staff: str | None = None
        self.type_code: str | None = None
        self.kind = "all"
        self.unreviewed_only = False
        self.overdue_only = False

    def accepts(self, row: QueueRow) -> bool:
        d = row.data
        if self.staff and d["staff"] != self.staff:
            return False
        if self.type_code and d["type"] != self.type_code:
            return False
        if self.kind == "overtime" and not row.is_overtime:
            return False
        if self.kind == "poor" and not row.is_poor:
            return False
        if self.overdue_only and not row.overdue:
            return False
        if self.kind == "appeals":
            return row.appealed and not (self.unreviewed_only and not row.appeal_open)
        return not (self.unreviewed_only and row.reviewed)


class ReviewQueueModel(QAbstractTableModel):
    """Overtime transactions and poor ratings, one row each, with the manager's findings.

    `rows` are the cases the filter lets through, in the sort order; the model filters and
    sorts its own Python list (one pass each) rather than sitting behind a
    QSortFilterProxyModel, whose filterAcceptsRow and data() calls cross from C++ into Python
    once per row and per comparison: 50 ms and more for a year of cases.
    """

    COLUMNS: tuple[str, ...] = (
        "when", "counter", "staff", "type", "target", "actual", "overtime", "staff_reason",
        "rating", "issue", "cause", "note", "status",
        *FOLLOW_UP_COLUMNS,
    )

    def __init__(self, language: str, type_name: Callable[[str], str],
                 parent: QObject | None = None, *,
                 time_zone: str = periods.DEFAULT_TIME_ZONE) -> None:
        super().__init__(parent)
        self.language = language
        self.type_name = type_name
        self._tz = periods.zone(time_zone)
        self.rows: list[QueueRow] = []  # shown
        self._all: list[QueueRow] = []  # loaded
        self.filter = QueueFilter()
        self._headers = [
            translate("ReviewQueue", "When"), translate("ReviewQueue", "Counter"),
            translate("ReviewQueue", "Staff"), translate("ReviewQueue", "Type"),
            translate("ReviewQueue", "Target"), translate("ReviewQueue", "Actual"),
            translate("ReviewQueue", "Overtime"), translate("ReviewQueue", "Staff's reason"),
            translate("ReviewQueue", "Rating"), translate("ReviewQueue", "Issue"),
            translate("ReviewQueue", "Manager's cause"), translate("ReviewQueue", "Note"),
            translate("ReviewQueue", "Status"),
        ]
        self._headers += [
            translate("ReviewQueue", "Follow-up due"), translate("ReviewQueue", "Order no."),
            translate("ReviewQueue", "Handed over"),
        ]
        self._bold = QFont()
        self._bold.setBold(True)

    # ---- data in ---------------------------------------------------------------------------

    def set_rows(self, rows: Sequence[dict[str, Any]]) -> None:
        self.beginResetModel()
        self._all = [QueueRow(r, self._tz) for r in rows]
        self._sort_rows()
        self.endResetModel()

    def set_filters(self, *, staff: str | None = None, type_code: str | None = None,
                    kind: str = "all", unreviewed_only: bool = False) -> None:
        if kind not in QueueFilter.KINDS:
            raise ValueError(f"kind must be one of {QueueFilter.KINDS}")
        f = self.filter
        f.staff, f.type_code = staff or None, type_code or None
        f.kind, f.unreviewed_only = kind, unreviewed_only
        self._refilter()

    def set_overdue_only(self, overdue_only: bool) -> None:
        self.filter.overdue_only = overdue_only
        self._refilter()

    def _refilter(self) -> None:
        self.beginResetModel()
        accepts = self.filter.accepts
        self.rows = [r for r in self._all if accepts(r)]
        self.endResetModel()

    def open_cases(self) -> list[QueueRow]:
        """The shown cases that still need a decision."""
        return [r for r in self.rows if not r.reviewed]

    # Sorting happens here, on the Python list (one key per row), not in a proxy model: a proxy
    # sort calls data() from C++ for every comparison, which is slow for a year of cases.
    _sort_column = 0
    _sort_order = Qt.SortOrder.DescendingOrder

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.COLUMNS):
            return
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        held = [(self.rows[i.row()], i.column()) for i in persistent]
        self._sort_column, self._sort_order = column, order
        self._sort_rows()
        position = {id(row): n for n, row in enumerate(self.rows)}  # the same rows, reordered
        self.changePersistentIndexList(
            persistent, [self.index(position[id(row)], col) for row, col in held])
        self.layoutChanged.emit()

    def _sort_rows(self) -> None:
        """Sort the loaded cases and show those the filter lets through, in that order."""
        column = self.COLUMNS[self._sort_column]
        if column == "when":  # the default and most used: the key is the row's own text
            self._all.sort(key=lambda r: r.data["started_at"],
                           reverse=self._sort_order == Qt.SortOrder.DescendingOrder)
        else:
            self._all.sort(key=lambda r: (self._sort_key(r, column), r.data["started_at"]),
                           reverse=self._sort_order == Qt.SortOrder.DescendingOrder)
        accepts = self.filter.accepts
        self.rows = [r for r in self._all if accepts(r)]

    def update_row(self, data: dict[str, Any]) -> int | None:
        """Replace the case of the same transaction (after a decision); its shown row, or
        None when it is not shown (or no longer: "unreviewed only" drops a reviewed case)."""
        fresh = QueueRow(data, self._tz)
        for i, row in enumerate(self._all):
            if row.txn == fresh.txn:
                self._all[i] = fresh
                break
        shown = self.row_of(fresh.txn)
        if shown is None:
            return None
        if not self.filter.accepts(fresh):
            self.beginRemoveRows(QModelIndex(), shown, shown)
            del self.rows[shown]
            self.endRemoveRows()
            return None
        self.rows[shown] = fresh
        self.dataChanged.emit(self.index(shown, 0),
                              self.index(shown, self.columnCount() - 1))
        return shown

    def row_of(self, txn: str) -> int | None:
        """The shown row of the transaction's case, None when it is not shown."""
        return next((i for i, r in enumerate(self.rows) if r.txn == txn), None)

    def source_row(self, row: int) -> QueueRow | None:
        """The case shown at `row` (None out of range)."""
        return self.rows[row] if 0 <= row < len(self.rows) else None

    # ---- Qt model --------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        column = self.COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == SORT_ROLE:
            return self._sort_key(row, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (
                "target", "actual", "overtime", "rating"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.BackgroundRole and row.overdue:
            return QColor("#ffebee")  # an overdue follow-up: the whole row
        if role == Qt.ItemDataRole.ForegroundRole and column == "due" and row.overdue:
            return QColor("#b71c1c")
        if role == Qt.ItemDataRole.FontRole and column == "due" and row.overdue:
            return self._bold
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == "status" and not row.reviewed:
                return QColor("#bf360c")
            if column == "overtime":
                return QColor("#b71c1c")
        if role == Qt.ItemDataRole.FontRole and column == "status" and not row.reviewed:
            return self._bold
        if role == Qt.ItemDataRole.ToolTipRole and column == "status" \
                and row.data.get("decided_twice"):
            return translate("ReviewQueue", "Two managers decided this case minutes apart "
                             "(%1); the later decision counts. Check it.").replace(
                "%1", "; ".join(f"{w.get('manager', '')} @ {w.get('counter', '')} {w.get('at', '')}"
                                for group in row.data.get("decided_by", ()) for w in group))
        if role == Qt.ItemDataRole.ToolTipRole and column in (
                "staff_reason", "rating", "issue", "cause", "note"):
            return self._display(row, column) or None  # the whole text when the cell elides it
        return None

    def _display(self, row: QueueRow, column: str) -> str:
        d = row.data
        if column == "when":
            return row.local.strftime("%Y-%m-%d %H:%M")
        if column == "counter":
            return str(d["counter"])
        if column == "staff":
            return f"{d.get('staff_name') or ''} {d['staff']}".strip()
        if column == "type":
            return self.type_name(d["type"])
        if column == "target":
            return format_mmss(d["target_s"]) if d.get("target_s") else "–"
        if column == "actual":
            return format_mmss(d["duration_s"] or 0)
        if column == "overtime":
            return "+" + format_mmss(overtime_seconds(d)) if row.is_overtime else ""
        if column == "staff_reason":
            return label(OVERTIME_REASONS, d.get("overtime_reason"), self.language)
        if column == "rating":
            if d.get("rating") is None:
                return ""
            zh, en = RATING_LABELS[int(d["rating"])]
            return f"{d['rating']} {zh if self.language.startswith('zh') else en}"
        if column == "issue":
            parts = ([translate("ReviewQueue", "Overtime")] if row.is_overtime else []) + (
                [translate("ReviewQueue", "type changed after target")]
                if row.is_overtime and row.type_changed_after_target else []) + (
                [translate("ReviewQueue", "Poor rating")] if row.is_poor else []) + (
                [translate("ReviewQueue", "Appeal")] if row.appealed else [])
            return " + ".join(parts)
        if column == "cause":
            parts = []
            if row.review_done:
                parts.append(label(OVERTIME_CAUSES, d["cause"], self.language))
            if row.follow_up_done:
                parts.append(label(FOLLOW_UP_CAUSES, d["follow_up_cause"], self.language))
            return " / ".join(parts)
        if column == "note":
            return " / ".join(n for n in (d.get("note"), d.get("follow_up_note")) if n)
        if column in ("due", "order_no", "handover"):
            return self._follow_up_display(row, column)
        if column == "status":
            status = _status(row)
            if d.get("decided_twice"):  # the hall view: two chains decided it minutes apart
                status += " · " + translate("ReviewQueue", "decided twice")
            return status
        return ""

    def _follow_up_display(self, row: QueueRow, column: str) -> str:
        d = row.data
        if column == "due":
            due = row.follow_up_due
            if due is None:
                return ""
            if row.overdue:
                return translate("ReviewQueue", "%1 overdue").replace("%1", due.isoformat())
            return due.isoformat()
        if column == "order_no":
            return str(d.get("order_no") or "")
        if row.handed_over_by:
            return translate("ReviewQueue", "handed over by %1").replace(
                "%1", str(row.handed_over_by))
        return ""

    def _sort_key(self, row: QueueRow, column: str) -> Any:
        d = row.data
        if column == "due":
            due = row.follow_up_due
            return due.isoformat() if due is not None else "9999"
        numeric = {"target": "target_s", "actual": "duration_s", "overtime": "overtime_s",
                   "rating": "rating"}
        if column == "when":
            return d["started_at"]
        if column in numeric:
            value = d.get(numeric[column])
            return -1.0 if value is None else float(value)
        if column == "status":
            return float(row.reviewed)
        return self._display(row, column)


def _status(row: QueueRow) -> str:
    if row.appeal_open:
        return translate("ReviewQueue", "Appeal to decide")
    if row.reviewed:
        if row.is_poor and not row.data.get("resolved"):
            return translate("ReviewQueue", "Followed up, open")
        return translate("ReviewQueue", "Reviewed")
    return translate("ReviewQueue", "To review")
