"""Qt screens for the duty manager: review queue, KPIs and charts, monthly summary, exports."""
