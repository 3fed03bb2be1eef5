"""What the agent reads: server instructions, tool descriptions and argument descriptions.

Kept apart from the code so the whole text the agent sees can be reviewed in one place.
The egress-allow arguments are exactly the routes-file keys an agent may propose (what
``list-egress-routes`` returns, minus ``inject_headers`` and ``provider``, which only the
operator sets), so an agent can round-trip list -> propose.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "BLOCK_HOST",
    "CAPABILITY",
    "CAPABILITY_BLOCK",
    "DETAIL",
    "EGRESS_ALLOW",
    "EGRESS_BLOCK",
    "HOST",
    "INSTRUCTIONS",
    "JUSTIFICATION",
    "LIST_EGRESS_ROUTES",
    "METHODS",
    "NOTE",
    "OUTBOUND_ON_MATCH",
    "PATHS",
    "PORT",
    "SCHEME",
]

INSTRUCTIONS: Final = (
    "You run inside a bot-bottle: all network access goes through an egress proxy that "
    "denies everything not listed in the bottle's routes. Use these tools to ask the human "
    "operator for changes. Each asking tool blocks until the operator decides (or the wait "
    "times out) and returns decision (approved, modified, rejected, timed_out) and reason."
)

EGRESS_ALLOW: Final = (
    "Ask the operator to add one egress route so requests to a host are allowed. Blocks until "
    "the operator decides; on 'approved' or 'modified' the route (as given in 'applied') is "
    "already live. Arguments are the routes.yaml keys (see list-egress-routes): host (exact, or "
    "'*.example.com' for strict subdomains), scheme (https|http, default https), port (default "
    "443 for https, 80 for http), methods (e.g. [GET, POST]; default any), paths (path "
    "prefixes matched on segment boundaries, e.g. ['/repos/']; default any), "
    "outbound_on_match (what the proxy does when a request on this route carries a secret: "
    "redact, block, or supervise = ask the operator; default redact), note (one line shown "
    "to the operator). inject_headers and provider are set by the operator only. IP "
    "addresses are never allowed."
)

EGRESS_BLOCK: Final = (
    "Ask the operator to remove every egress route to a host (exact host or '*.example.com' "
    "as listed by list-egress-routes). Blocks until the operator decides."
)

CAPABILITY_BLOCK: Final = (
    "Tell the operator you are blocked on something you cannot do from inside the bottle "
    "(a tool, a permission, a credential, a decision). Blocks until the operator answers; "
    "the answer is in 'reason'."
)

LIST_EGRESS_ROUTES: Final = (
    "Return the bottle's egress routes in force as routes.yaml text (version: 1, routes: "
    "[...]) with keys host, scheme, port, methods, paths, outbound_on_match, inject_headers "
    "(values hidden behind ${EGRESS_TOKEN_*} references), provider and note. Read-only."
)

HOST: Final = "Host to allow: exact name, or '*.example.com' for its strict subdomains."
SCHEME: Final = "URL scheme: https (default) or http."
PORT: Final = "TCP port; default 443 for https, 80 for http."
METHODS: Final = "HTTP methods to allow, e.g. ['GET']; omit for any method."
PATHS: Final = "Path prefixes to allow (segment boundaries), e.g. ['/repos/']; omit for any."
OUTBOUND_ON_MATCH: Final = (
    "When a request on this route carries a secret: redact (replace it), block (refuse the "
    "request) or supervise (hold it and ask the operator). Default redact."
)
NOTE: Final = "One line for the operator on what the route is for."
JUSTIFICATION: Final = "Why you need this, for the operator (be specific)."
BLOCK_HOST: Final = "Route host to remove, exactly as listed by list-egress-routes."
CAPABILITY: Final = "What you lack, in one line."
DETAIL: Final = "What you tried, what failed, and what would unblock you."
