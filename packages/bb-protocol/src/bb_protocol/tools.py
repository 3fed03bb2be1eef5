"""MCP tool names and which component owns the proposals each one produces.

The owner of a proposal kind is the only component that archives it after acting on the
operator's response; the operator UI never archives another component's proposal.
"""

from typing import Final, Literal

TOOL_EGRESS_ALLOW: Final = "egress-allow"
"""Agent asks for a host (or route) to be allowed."""

TOOL_EGRESS_BLOCK: Final = "egress-block"
"""Agent asks for a route to be removed or blocked."""

TOOL_EGRESS_TOKEN_ALLOW: Final = "egress-token-allow"
"""Written by the egress proxy when a request carries a secret; not callable by the agent."""

TOOL_CAPABILITY_BLOCK: Final = "capability-block"
"""Agent reports that it is blocked on a capability it lacks (free-form, for the operator)."""

TOOL_GITLEAKS_ALLOW: Final = "gitleaks-allow"
"""Written by the git gate when a push has gitleaks findings; not callable by the agent."""

TOOL_LIST_EGRESS_ROUTES: Final = "list-egress-routes"
"""Agent reads the bottle's current routes (read-only, no proposal)."""

ProposalOwner = Literal["egress", "supervise", "gitgate"]
"""The sidecars that own proposal kinds (not an image component: `bb_cli.images.Component`
names images; this names who archives a proposal)."""

OWNER_FOR_TOOL: Final[dict[str, ProposalOwner]] = {
    TOOL_EGRESS_ALLOW: "supervise",
    TOOL_EGRESS_BLOCK: "supervise",
    TOOL_CAPABILITY_BLOCK: "supervise",
    TOOL_LIST_EGRESS_ROUTES: "supervise",
    TOOL_EGRESS_TOKEN_ALLOW: "egress",
    TOOL_GITLEAKS_ALLOW: "gitgate",
}
"""Which component owns (and alone archives) the proposals of each tool."""

TOOL_ARGUMENTS: Final[dict[str, frozenset[str]]] = {
    TOOL_EGRESS_ALLOW: frozenset(
        {"host", "justification", "scheme", "port", "methods", "paths", "outbound_on_match", "note"}
    ),
    TOOL_EGRESS_BLOCK: frozenset({"host", "justification"}),
    TOOL_CAPABILITY_BLOCK: frozenset({"capability", "detail"}),
    TOOL_LIST_EGRESS_ROUTES: frozenset(),
}
"""The argument names each agent-callable tool accepts: the contract with the agent.

The supervise server's typed signatures are the schema; its argument allowlist is derived
from those signatures, and its tests assert both equal this table (any change to a tool's
arguments is a change here, reviewed with the snapshot of the input schemas)."""

AGENT_CALLABLE_TOOLS: Final = frozenset(TOOL_ARGUMENTS)
"""Tools the supervise MCP server exposes to the agent."""
