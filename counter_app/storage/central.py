"""The cache of head office's central settings in the data folder's meta table: the signed
document exactly as pulled (JSON text), verified again each time it is read."""

from __future__ import annotations

from counter_app.storage.db import Database, write_transaction

#: meta key: the last central settings document the counter applied (signed JSON text)
CENTRAL_SETTINGS_KEY = "central_settings"


def read_central_settings(db: Database) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", [CENTRAL_SETTINGS_KEY]).fetchone()
    return None if row is None else str(row[0])


def write_central_settings(db: Database, text: str) -> None:
    with write_transaction(db.conn) as conn:
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                     [CENTRAL_SETTINGS_KEY, text])
