"""The Qt user interface: staff window, customer screen, manager view. Qt lives only here."""

import PySide6.QtCore  # noqa: F401  (installs shiboken's import hook that the fix replaces)

from counter_app.ui.pyside_fixes import keep_none_alive, uncached_feature_check

uncached_feature_check()  # before any other import: each module's lines would stay cached
keep_none_alive()  # before any Qt call: PySide6 6.12.0 on Python 3.11 leaks None references
