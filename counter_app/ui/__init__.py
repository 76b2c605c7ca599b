"""The Qt user interface: staff window, customer screen, manager view. Qt lives only here."""

from counter_app.ui.pyside_fixes import keep_none_alive

keep_none_alive()  # before any Qt call: PySide6 6.12.0 on Python 3.11 leaks None references
