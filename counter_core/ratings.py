"""The five-level rating scale, its bilingual labels, the one-press reasons, and the
manager's cause lists: every fixed choice list an event's code is checked against."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Choice:
    """A value with its Chinese and English labels, as shown on the customer screen."""

    code: str
    zh: str
    en: str


#: value → (中文, English); DESIGN.md's scale, used by China's government-service "好差评".
RATING_LABELS: dict[int, tuple[str, str]] = {
    5: ("非常满意", "Very satisfied"),
    4: ("满意", "Satisfied"),
    3: ("基本满意", "Neutral"),
    2: ("不满意", "Dissatisfied"),
    1: ("非常不满意", "Very dissatisfied"),
}

RATING_VALUES: tuple[int, ...] = (5, 4, 3, 2, 1)
POOR_RATINGS = frozenset({1, 2})
SATISFIED_RATINGS = frozenset({4, 5})

POOR_RATING_REASONS: tuple[Choice, ...] = (
    Choice("slow", "等候或办理太慢", "Too slow"),
    Choice("attitude", "服务态度不好", "Unfriendly service"),
    Choice("unsolved", "问题没有解决", "Problem not solved"),
    Choice("process", "手续太繁琐", "Too much paperwork"),
    Choice("other", "其他", "Other"),
)

OVERTIME_REASONS: tuple[Choice, ...] = (
    Choice("complex", "业务复杂", "Complex request"),
    Choice("system", "系统或网络慢", "System or network slow"),
    Choice("documents", "客户资料不全", "Missing documents"),
    Choice("several", "办理多项业务", "Several services"),
    Choice("other", "其他", "Other"),
)

#: The manager's finding for an overtime case (DESIGN.md's fixed list).
OVERTIME_CAUSES: tuple[Choice, ...] = (
    Choice("staff_skill", "员工业务技能", "Staff skill"),
    Choice("system", "系统或网络", "System or network"),
    Choice("complex_request", "客户业务复杂", "Complex customer request"),
    Choice("missing_documents", "客户资料不全", "Missing documents"),
    Choice("policy", "政策或流程", "Policy or process"),
    Choice("other", "其他", "Other"),
)

#: The manager's finding after following up a poor rating.
FOLLOW_UP_CAUSES: tuple[Choice, ...] = (
    Choice("slow", "办理或等候太慢", "Too slow"),
    Choice("attitude", "服务态度", "Staff attitude"),
    Choice("unsolved", "问题没有解决", "Problem not solved"),
    Choice("policy", "政策或流程", "Policy or process"),
    Choice("misunderstanding", "客户误解", "Customer misunderstanding"),
    Choice("other", "其他", "Other"),
)


def is_valid_rating(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value in RATING_LABELS


def reason_codes(choices: tuple[Choice, ...]) -> frozenset[str]:
    return frozenset(c.code for c in choices)
