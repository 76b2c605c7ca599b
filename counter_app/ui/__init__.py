"""The Qt user interface: staff window, customer screen, manager view. Qt lives only here."""
