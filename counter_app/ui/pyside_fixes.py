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
"""

from __future__ import annotations

import ctypes
import platform
import sys

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
