"""The review queue as a Qt table model that filters and sorts its own cases."""

from __future__ import annotations

import datetime as dt
import logging
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

from counter_app.application.errors import ApplicationError
from counter_app.application.manager import ReviewCases
from counter_core import periods
from counter_core.figures import overtime_seconds
from counter_core.ratings import OVERTIME_REASONS, POOR_RATINGS, RATING_LABELS, Choice
from counter_core.reviews import FOLLOW_UP_CAUSES, OVERTIME_CAUSES
from counter_core.timer import exceeds_target, format_mmss

log = logging.getLogger(__name__)

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
#: the columns sorted on a case's facts (QueueRow), without loading every case's details
_NUMERIC = {"target": "target_s", "actual": "duration_s", "overtime": "overtime_s",
            "rating": "rating"}
FACT_COLUMNS = frozenset({"when", "counter", "status", *_NUMERIC})
#: the cases whose details are loaded at once, from the first shown one that needs them
DETAILS_PAGE = 200


class QueueRow:
    """One case in the queue: what filtering, counting and sorting by time, numbers or status
    need, computed once; its details (`data`, the read model's queue row) loaded when first
    needed: a year has thousands of cases and a table shows thirty."""

    __slots__ = ("_data", "_details", "_local", "_tz", "appeal_open", "appealed", "counter",
                 "duration_s", "follow_up_done", "is_overtime", "is_poor", "overdue",
                 "overtime_s", "rating", "review_done", "staff", "started_at", "target_s",
                 "txn", "type_code")

    def __init__(self, data: dict[str, Any], tz: dt.tzinfo) -> None:
        """A case from its whole queue row (a decision's fresh row, an appeal)."""
        d = data
        self._tz = tz
        self._local: dt.datetime | None = None  # parsed when first shown
        self.txn, self.started_at = str(d["txn"]), d["started_at"]
        self.counter, self.staff, self.type_code = d.get("counter"), d.get("staff"), d.get("type")
        self.target_s, self.duration_s = d.get("target_s"), d.get("duration_s")
        self.overtime_s, self.rating = d.get("overtime_s"), d.get("rating")
        # the one overtime predicate (counter_core.figures.is_overtime's), as the queries,
        # KPIs and exports; storage.queries.review_cases spells it in SQL (a queue row has no
        # status: an interrupted case over its target is reviewed as overtime too)
        self.is_overtime = exceeds_target(self.duration_s, self.target_s)
        self.is_poor = self.rating in POOR_RATINGS
        self.review_done = bool(d.get("cause"))
        self.follow_up_done = bool(d.get("follow_up_cause"))
        #: the clerk appealed the rating (申诉); open until a manager other than them decides
        self.appealed = d.get("appeal_seq") is not None
        self.appeal_open = self.appealed and d.get("appeal_upheld") is None
        #: a poor rating with no follow-up past its deadline
        self.overdue = bool(d.get("overdue"))
        self._data: dict[str, Any] | None = data
        self._details: Callable[[QueueRow], None] | None = None

    @classmethod
    def case(cls, values: Sequence[Any], overdue: bool, tz: dt.tzinfo,
             details: Callable[[QueueRow], None]) -> QueueRow:
        """A case from its storage.queries.CASE_COLUMNS tuple (the same facts as from its
        whole row, flags as 0 or 1); `details(row)` sets the details of it (and of the rows
        shown around it) when first asked. A year's thousands of cases are made here, one
        call each."""
        row = cls.__new__(cls)
        row._tz, row._local, row._data, row._details, row.overdue = tz, None, None, details, overdue
        (row.txn, row.started_at, row.counter, row.staff, row.type_code, row.target_s,
         row.duration_s, row.overtime_s, row.rating, row.is_overtime, row.is_poor,
         row.review_done, row.follow_up_done, _, row.appealed, row.appeal_open) = values
        return row

    @property
    def data(self) -> dict[str, Any]:
        """The case's whole queue row (storage.queries.QUEUE_COLUMNS, the follow-up facts)."""
        if self._data is None and self._details is not None:
            self._details(self)
        if self._data is None:
            self._data = self.facts()
        return self._data

    def facts(self) -> dict[str, Any]:
        """What the case's facts say of its queue row."""
        return {"txn": self.txn, "started_at": self.started_at, "counter": self.counter,
                "staff": self.staff, "type": self.type_code, "target_s": self.target_s,
                "duration_s": self.duration_s, "overtime_s": self.overtime_s,
                "rating": self.rating, "overdue": self.overdue}

    @property
    def loaded(self) -> bool:
        return self._data is not None

    def load(self, data: dict[str, Any]) -> None:
        self._data = data

    @property
    def type_changed_after_target(self) -> bool:
        """The type was changed (F3) after the target had passed: it still counts as overtime
        against the target passed, unless a manager accepts the change in the review."""
        return bool(self.data.get("type_changed_after_target"))

    @property
    def local(self) -> dt.datetime:
        """When it started, in the hall's time."""
        if self._local is None:
            self._local = periods.parse_utc(self.started_at).astimezone(self._tz)
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
        if self.staff and row.staff != self.staff:
            return False
        if self.type_code and row.type_code != self.type_code:
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
        self._details: Callable[[Sequence[str]], list[dict[str, Any]]] | None = None
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
        """Show these whole queue rows (the appeals, a few)."""
        self.beginResetModel()
        self._all = [QueueRow(r, self._tz) for r in rows]
        self._details = None
        self._sort_rows()
        self.endResetModel()

    def set_cases(self, cases: ReviewCases,
                  details: Callable[[Sequence[str]], list[dict[str, Any]]]) -> None:
        """Show a period's cases (ManagerReadModel.review_cases); `details(txns)` gives the
        whole rows of those cases, asked for a page of the rows shown at a time."""
        self.beginResetModel()
        tz, load, overdue = self._tz, self._load_details, cases.overdue
        self._all = [QueueRow.case(values, values[0] in overdue, tz, load)
                     for values in cases.rows]
        self._details = details
        if (self.COLUMNS[self._sort_column] == "when"
                and self._sort_order == Qt.SortOrder.DescendingOrder):
            self._refilter_rows()  # newest first, as queried
        else:
            self._sort_rows()
        self.endResetModel()

    def _load_details(self, row: QueueRow) -> None:
        """Load the details of `row` and of the shown rows around it without them: a page,
        mostly below it (a table paints downwards), some above (scrolling back up)."""
        at = next((i for i, r in enumerate(self.rows) if r is row), None)
        if at is None:
            self._fill([row])
            return
        first = max(0, at - DETAILS_PAGE // 4)
        self._fill([r for r in self.rows[first:first + DETAILS_PAGE] if not r.loaded])

    def _fill(self, rows: Sequence[QueueRow]) -> None:
        if self._details is None or not rows:
            return
        try:
            found = {d["txn"]: d for d in self._details([r.txn for r in rows])}
        except ApplicationError as exc:  # the database went away under the view
            log.warning("review queue: %s", exc.message)
            found = {}
        for r in rows:
            # a case the log no longer holds (a hall mirror pulling a chain again) shows
            # what the queue knew of it
            r.load(found.get(r.txn) or r.facts())

    def _load_all_details(self) -> None:
        """Every loaded case's details (sorting by a column only they hold)."""
        self._fill([r for r in self._all if not r.loaded])

    def set_filters(self, *, staff: str | None = None, type_code: str | None = None,
                    kind: str = "all", unreviewed_only: bool = False) -> None:
        if kind not in QueueFilter.KINDS:
            raise ValueError(f"kind must be one of {QueueFilter.KINDS}")
        f = self.filter
        wanted = (staff or None, type_code or None, kind, unreviewed_only)
        if (f.staff, f.type_code, f.kind, f.unreviewed_only) == wanted:
            return  # the rows shown are filtered so already (set_cases, set_rows filter too)
        f.staff, f.type_code, f.kind, f.unreviewed_only = wanted
        self._refilter()

    def set_overdue_only(self, overdue_only: bool) -> None:
        self.filter.overdue_only = overdue_only
        self._refilter()

    def _refilter(self) -> None:
        self.beginResetModel()
        self._refilter_rows()
        self.endResetModel()

    def _refilter_rows(self) -> None:
        accepts = self.filter.accepts
        self.rows = [r for r in self._all if accepts(r)]

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
            self._all.sort(key=lambda r: r.started_at,
                           reverse=self._sort_order == Qt.SortOrder.DescendingOrder)
        else:
            if column not in FACT_COLUMNS:
                self._load_all_details()
            self._all.sort(key=lambda r: (self._sort_key(r, column), r.started_at),
                           reverse=self._sort_order == Qt.SortOrder.DescendingOrder)
        self._refilter_rows()

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
            return str(row.counter)
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
        if column == "due":
            due = row.follow_up_due
            return due.isoformat() if due is not None else "9999"
        if column == "when":
            return row.started_at
        if column in _NUMERIC:
            value = getattr(row, _NUMERIC[column])
            return -1.0 if value is None else float(value)
        if column == "status":
            return float(row.reviewed)
        if column == "counter":
            return str(row.counter)
        return self._display(row, column)


def _status(row: QueueRow) -> str:
    if row.appeal_open:
        return translate("ReviewQueue", "Appeal to decide")
    if row.reviewed:
        if row.is_poor and not row.data.get("resolved"):
            return translate("ReviewQueue", "Followed up, open")
        return translate("ReviewQueue", "Reviewed")
    return translate("ReviewQueue", "To review")
