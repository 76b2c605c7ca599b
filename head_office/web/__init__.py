"""Head office on the web: logins (users), server-side sessions with CSRF, the audit trail,
and the server-rendered pages (routes, Jinja2 templates, static CSS) built on them."""
