"""The web pages' strings: Chinese by default, English with `?lang=en` (kept in a cookie)."""

from __future__ import annotations

LANGUAGES = ("zh", "en")
DEFAULT = "zh"
COOKIE = "hq_lang"

CATALOGUE: dict[str, dict[str, str]] = {
    "title": {"zh": "总部", "en": "Head office"},
    "login_title": {"zh": "登录", "en": "Sign in"},
    "login": {"zh": "账号", "en": "Login"},
    "password": {"zh": "密码", "en": "Password"},
    "sign_in": {"zh": "登录", "en": "Sign in"},
    "sign_out": {"zh": "退出", "en": "Sign out"},
    "login_failed": {"zh": "账号或密码不正确。", "en": "The login or password is not right."},
    "session_ended": {"zh": "请登录。", "en": "Please sign in."},
    "overview": {"zh": "营业厅", "en": "Halls"},
    "hall": {"zh": "营业厅", "en": "Hall"},
    "counters": {"zh": "柜台数", "en": "Counters"},
    "counter": {"zh": "柜台", "en": "Counter"},
    "last_sync": {"zh": "最近同步", "en": "Last sync"},
    "never": {"zh": "从未", "en": "never"},
    "no_halls": {"zh": "没有可查看的营业厅。", "en": "No halls to show."},
    "no_counters": {"zh": "尚无柜台登记。", "en": "No counter enrolled yet."},
    "events": {"zh": "事件数", "en": "Events"},
    "chain": {"zh": "链校验", "en": "Chain check"},
    "revoked": {"zh": "已吊销", "en": "revoked"},
    "audit": {"zh": "审计日志", "en": "Audit log"},
    "audit_csv": {"zh": "导出 CSV", "en": "Export CSV"},
    "at": {"zh": "时间（UTC）", "en": "Time (UTC)"},
    "who": {"zh": "账号", "en": "Login"},
    "action": {"zh": "操作", "en": "Action"},
    "target": {"zh": "对象", "en": "Target"},
    "ip": {"zh": "来源地址", "en": "From"},
    "detail": {"zh": "详情", "en": "Detail"},
    "filter": {"zh": "筛选", "en": "Filter"},
    "all": {"zh": "全部", "en": "all"},
    "account": {"zh": "我的账号", "en": "My account"},
    "role": {"zh": "角色", "en": "Role"},
    "halls": {"zh": "营业厅", "en": "Halls"},
    "every_hall": {"zh": "全部营业厅", "en": "every hall"},
    "change_password": {"zh": "修改密码", "en": "Change password"},
    "current_password": {"zh": "当前密码", "en": "Current password"},
    "new_password": {"zh": "新密码", "en": "New password"},
    "repeat_password": {"zh": "再次输入新密码", "en": "New password again"},
    "password_changed": {"zh": "密码已修改。", "en": "The password was changed."},
    "password_wrong": {"zh": "当前密码不正确。", "en": "The current password is not right."},
    "password_mismatch": {"zh": "两次输入的新密码不一致。", "en": "The two new passwords differ."},
    "policy": {
        "zh": "密码至少 12 个字符，并包含以下至少两类：小写字母、大写字母、数字、其他字符。",
        "en": "A password has at least 12 characters and mixes at least two of: "
        "lower-case letters, upper-case letters, digits, other characters.",
    },
    "forbidden": {"zh": "没有权限查看此页面。", "en": "You may not see this page."},
    "not_found": {"zh": "没有这个页面。", "en": "There is no such page."},
    "csrf": {
        "zh": "表单已过期，请返回并重新提交。",
        "en": "The form has expired: go back, reload it and send it again.",
    },
    "error": {"zh": "出错了", "en": "Something went wrong"},
    "back": {"zh": "返回", "en": "Back"},
    "language": {"zh": "English", "en": "中文"},
}


def register(entries: dict[str, dict[str, str]]) -> None:
    """Add a page module's strings to the catalogue (each module keeps its own, merged here at
    import); a key may be registered twice only with the same texts."""
    for key, texts in entries.items():
        if key in CATALOGUE and CATALOGUE[key] != texts:
            raise ValueError(f"web string {key!r} registered twice with different texts")
        if DEFAULT not in texts:
            raise ValueError(f"web string {key!r} has no {DEFAULT!r} text")
    CATALOGUE.update(entries)


def pick(requested: str | None, cookie: str | None) -> str:
    """The page's language: `?lang=`, else the cookie, else Chinese."""
    for lang in (requested, cookie):
        if lang in LANGUAGES:
            return lang
    return DEFAULT


def text(key: str, lang: str) -> str:
    entry = CATALOGUE[key]
    return entry.get(lang) or entry[DEFAULT]
