"""Names of the environment variables the components read.

Kept as constants so that the launcher that sets a variable and the sidecar that reads it
cannot drift apart by a typo.
"""

from typing import Final

LOG_LEVEL: Final = "BOT_BOTTLE_LOG_LEVEL"
"""Minimum severity to print: debug, info (default), warn or error."""

SENSITIVE_PREFIXES: Final = "BOT_BOTTLE_SENSITIVE_PREFIXES"
"""Comma-separated extra env-var name prefixes whose values the DLP engine treats as secrets."""

DEFAULT_SENSITIVE_PREFIX: Final = "EGRESS_TOKEN_"
"""Env vars starting with this prefix hold real secrets; they reach only the egress sidecar."""

DLP_TOKEN_CONFIDENCE: Final = "BOT_BOTTLE_DLP_TOKEN_CONFIDENCE"
"""The token-pattern rules' confidence level for the bottle: low, medium (default) or high."""

DLP_TOKEN_RULES_OFF: Final = "BOT_BOTTLE_DLP_TOKEN_RULES_OFF"
"""Comma-separated token-pattern rule ids the bottle turns off (``bb_dlp.catalogue``)."""

EGRESS_CANARY: Final = "EGRESS_TOKEN_CANARY"
"""The bottle's canary as the egress sidecar knows it (a known secret named as the canary)."""

AGENT_CANARY: Final = "BOT_BOTTLE_CANARY"
"""The same canary as the agent sees it: a fake secret whose egress proves exfiltration."""

EGRESS_TOKEN_ALLOW_TIMEOUT: Final = "EGRESS_TOKEN_ALLOW_TIMEOUT_SECONDS"
"""How long the proxy holds a request waiting for the operator (default 300 s)."""

BOTTLE_SLUG: Final = "BOT_BOTTLE_SLUG"
"""The bottle's slug, given to every sidecar so that audit lines and proposals name it."""

QUEUE_DIR: Final = "BOT_BOTTLE_QUEUE_DIR"
"""Where the queue volume is mounted inside a sidecar."""

SUPERVISE_ENABLED: Final = "BOT_BOTTLE_SUPERVISE"
"""``1`` when the bottle is supervised (the default), ``0`` when the manifest opts out."""

ROUTES_FILE: Final = "BOT_BOTTLE_ROUTES_FILE"
"""Path of the routes file inside the egress sidecar (in a bind-mounted directory)."""

AUDIT_LOG: Final = "BOT_BOTTLE_AUDIT_LOG"
"""Path of the egress audit log (one JSON line per decision) inside the egress sidecar."""

EGRESS_OBSERVE: Final = "BOT_BOTTLE_OBSERVE"
"""``1`` in a bottle started with ``bb start --observe``: no-route denials are still
refused and are recorded as observations (`bb_protocol.audit.AuditRecord.observed`)."""

APPROVAL_KEY_FILE: Final = "BOT_BOTTLE_APPROVAL_KEY_FILE"
"""Path of the host-only key that authenticates operator decisions (never in the agent)."""

EGRESS_INTROSPECTION_LISTEN: Final = "BOT_BOTTLE_EGRESS_INTROSPECTION_LISTEN"
"""``host:port`` the egress routes endpoint binds (the egress-network address, never the
agent-facing one); unset disables it."""

EGRESS_INTROSPECTION_TOKEN: Final = "BOT_BOTTLE_EGRESS_INTROSPECTION_TOKEN"
"""Bearer token required by the egress routes endpoint (host and supervise only)."""

EGRESS_CA_CERT_EXPORT: Final = "BOT_BOTTLE_EGRESS_CA_CERT"
"""Where the egress proxy copies its CA's public certificate (never the key) at start."""

EGRESS_ADMIN_URL: Final = "BOT_BOTTLE_EGRESS_ADMIN_URL"
"""Base URL of the egress introspection endpoint as supervise reaches it (``http://egress:N``);
when set, ``list-egress-routes`` asks the proxy for the routes in force (with the
`EGRESS_INTROSPECTION_TOKEN`), else it reads `ROUTES_FILE` (mounted read-only)."""

SUPERVISE_LISTEN: Final = "BOT_BOTTLE_SUPERVISE_LISTEN"
"""``host:port`` the supervise MCP server binds
(default ``0.0.0.0:8090``, the port the image exposes)."""

SUPERVISE_DECISION_TIMEOUT: Final = "BOT_BOTTLE_SUPERVISE_TIMEOUT_SECONDS"
"""How long a supervise tool call waits for the operator (default 600 s)."""
