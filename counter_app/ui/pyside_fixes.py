"""Work-arounds for bugs in the PySide6 releases we may run on (applied when counter_app.ui loads).

PySide6/shiboken6 6.12.0 on CPython 3.11 drops a reference to `None` on every call of a Qt
method that returns nothing (`setText`, `update`, every `QPainter.draw…`): about 330 a second
while the hourglass runs, so `None`'s reference count (~15,000 after start-up) reaches zero
within a minute of the first transaction and the interpreter aborts with "none_dealloc:
deallocating None". `SignalInstance.emit()` likewise drops a reference to `True` on every
call (the controller emits `changed` on every action), ending in "bool_dealloc". 6.11.3 does
not do either, and from CPython 3.12 on these singletons are immortal (PEP 683), so the leaks
are harmless there. On 3.11 we give `None`, `True` and `False` reference counts no program
could spend, which is what 3.12 does by design.

PySide6 also reads the whole source of each module imported after it (shiboken's
`__feature__` import hook, PYSIDE-2029, asks `inspect.getsource` whether the module's text
mentions "PySide6"; 6.11.3 does), and `inspect` keeps every line of it in `linecache` for the
life of the process: about 38,000 lines and 3 MiB at the counter's start, read and split
before the first window shows. `uncached_feature_check` answers the same question from the
file's bytes, keeping nothing.
"""

from __future__ import annotations

import ctypes
import platform
import sys
from types import ModuleType

#: Enough references for 330 lost a second during 100,000 years.
NONE_RESERVE = 1 << 50


def keep_none_alive() -> bool:
    """Make `None`, `True` and `False` effectively immortal on CPython < 3.12.

    True when something was done (once per process).
    """
    if sys.version_info >= (3, 12) or platform.python_implementation() != "CPython":
        return False
    done = False
    for singleton in (None, True, False):
        refcount = ctypes.c_ssize_t.from_address(id(singleton))  # PyObject.ob_refcnt is first
        if refcount.value < NONE_RESERVE:
            refcount.value += NONE_RESERVE
            done = True
    return done


def uncached_feature_check() -> bool:
    """Let shiboken's per-import check ("does this module's source mention PySide6?") read
    the source file's bytes instead of caching its lines in `linecache`: the same answer,
    nothing kept. Modules without a plain .py file still go through PySide's own check.

    True when the check was replaced (once per process); False where this PySide has no such
    check or it was replaced already. Call it once PySide6 is imported, before the app's own
    modules are.
    """
    try:
        from shibokensupport import feature  # type: ignore[import-not-found]
    except ImportError:  # a PySide without the __feature__ hook
        return False
    original = getattr(feature, "_mod_uses_pyside", None)
    if original is None or getattr(original, "reads_bytes", False):
        return False

    def mod_uses_pyside(module: ModuleType) -> bool:
        path = getattr(module, "__file__", None)
        if not (isinstance(path, str) and path.endswith(".py")):
            return bool(original(module))
        try:
            with open(path, "rb") as source:
                return b"PySide6" in source.read()
        except OSError:  # what inspect.getsource raises for a missing file: PySide says no
            return False

    mod_uses_pyside.reads_bytes = True  # type: ignore[attr-defined]
    feature._mod_uses_pyside = mod_uses_pyside
    return True
