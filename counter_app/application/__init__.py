"""The application layer: the counter's and the manager's use cases, in plain Python.

The Qt UI calls only this layer (never storage or sqlite3); it never imports Qt itself.

- `counter`: the running counter (`Counter`): sign in, serve, rate, heartbeat, backup.
- `manager`: the manager's reads (`ManagerReadModel`, `LocalManagerData`) and decisions.
- `exports`: the overtime log and the monthly summary as CSV and XLSX.
- `demo`: seeded demo history written through the normal event path.
- `errors`: the layer's exceptions, each with a message for the user.
"""
