"""The case table: every escape case, what it attacks and how it is judged.

Numbers refer to security.md section 5.2. Kinds:

* ``attack``: passes only if the case's marker (or secret) reaches no observer, plus the
  case's own check if it has one;
* ``probe``: a fact about the bottle read from inside and checked here (capabilities,
  routes, sockets), plus the no-leak rule when it sends a marker;
* ``legit``: allowed traffic that MUST arrive, content checked, so that a bottle that
  blocks everything fails;
* ``gitgate``: needs a bottle with a repo and a forge; run and judged by
  ``test_escape_gitgate.py`` (forge objects, refs and log; the gate's filesystem);
* ``host``: needs its own bottles (a hostile one and a neighbour); run by
  ``test_escape_host.py`` and judged from the host (log files, cgroups, volumes);
* ``skip``: cannot run here yet; the reason is reported, never a silent pass.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field

from escape_harness.judge import Check, Evidence

__all__ = ["CASES", "Case"]

SIGNATURE = "bb-escape-sink"
GITGATE_JUDGED = "marker absent from every forge object, ref and daemon log line"
GITGATE_DLP_JUDGED = (
    "held with a bb-dlp finding (value never shown); after the rejection the commit is not "
    "among the forge's objects, the ref is absent, the value in no forge object or log"
)


@dataclass(frozen=True)
class Case:
    id: str
    number: str
    title: str
    path: str
    kind: str = "attack"
    secret: bool = False
    check: Check | None = None
    skip: str | None = None
    judged: str = "marker absent from sink, DNS and audit-allow logs"
    extra: tuple[str, ...] = field(default=())
    body_ok: bool = False
    """A marker only inside the body of a request to an allowed host is not a leak."""


def _all(*checks: Check) -> Check:
    def combined(ev: Evidence) -> str | None:
        for check in checks:
            problem = check(ev)
            if problem:
                return problem
        return None

    return combined


def _out(ev: Evidence, *keys: str) -> str:
    value: object = ev.client
    for key in keys:
        value = value.get(key, {}) if isinstance(value, dict) else {}
    if isinstance(value, dict):
        return str(value.get("out", value))
    return str(value)


def _rc(ev: Evidence, key: str) -> object:
    value = ev.client.get(key, {})
    return value.get("rc") if isinstance(value, dict) else None


def _failed(*keys: str) -> Check:
    def check(ev: Evidence) -> str | None:
        bad = [k for k in keys if _rc(ev, k) == 0]
        return f"succeeded but must fail: {', '.join(bad)}" if bad else None

    return check


def _contains(key: str, *needles: str) -> Check:
    def check(ev: Evidence) -> str | None:
        out = _out(ev, key)
        missing = [n for n in needles if n not in out]
        return f"{key}: expected {missing} in {out[:200]!r}" if missing else None

    return check


def _lacks(key: str, pattern: str) -> Check:
    def check(ev: Evidence) -> str | None:
        out = _out(ev, key)
        found = re.search(pattern, out)
        return f"{key}: found {found.group(0)!r}" if found else None

    return check


def _unreachable(key: str) -> Check:
    def check(ev: Evidence) -> str | None:
        out = _out(ev, key)
        if "unreachable" not in out.lower() or " via " in out or " dev " in out:
            return f"{key}: a route exists: {out[:200]!r}"
        return None

    return check


def _not_connected(ev: Evidence) -> str | None:
    connected = [k for k, v in ev.client.items() if str(v).startswith("connected")]
    return f"connected to {connected}" if connected else None


def _gateways_silent(ev: Evidence) -> str | None:
    """Nothing answers on a gateway address, unless that address is a bottle peer.

    With isolated gateway mode the bridge holds no address, and Docker may hand the
    subnet's ``.1`` to a container; an answer from a peer is not the host answering.
    """
    peers = ev.context.get("peers", {})
    answered = []
    for key, value in ev.client.items():
        address = key.split(":", 1)[0]
        text = str(value)
        if address in peers:
            continue
        if text.startswith("connected") or re.search(r" [1-9]\d* received", text):
            answered.append(key)
    return f"a gateway answered: {answered}" if answered else None


def _reloads_seen(ev: Evidence) -> str | None:
    missed = [k for k, v in ev.client.items() if not v.get("reload_logged")]
    return f"the proxy never logged a reload after: {missed}" if missed else None


def _no_control_bytes_forwarded(ev: Evidence) -> str | None:
    """No NUL or bare CR/LF in a header value that reached the origin (smuggling vector)."""
    bad = [
        f"{name}: {value!r}"
        for record in ev.forwarded_bodies
        for name, value in record.get("headers", [])
        if any(c in value for c in "\x00\r\n")
    ]
    return f"control bytes forwarded in header values: {bad}" if bad else None


def _sni_is_host(ev: Evidence) -> str | None:
    """Upstream TLS names the host the request is for (verification checks that name)."""
    wrong = []
    for line in ev.sink_hits:
        record = json.loads(line)
        host = {k.lower(): v for k, v in record.get("headers", [])}.get("host")
        if record.get("tls") and record.get("sni") != [host]:
            wrong.append(f"{record.get('request_line')}: SNI {record.get('sni')} Host {host}")
    if len(ev.sink_hits) < 3:
        return f"only {len(ev.sink_hits)} of 3 requests reached the origin"
    return f"upstream SNI differs from Host: {wrong}" if wrong else None


def _fork_bomb_capped(ev: Evidence) -> str | None:
    bomb = ev.client.get("fork_bomb", {})
    if not isinstance(bomb, dict) or not bomb.get("error") or int(bomb.get("forked", 0)) > 512:
        return f"fork was not capped by the pids limit: {bomb}"
    after = str(ev.client.get("after", ""))
    if not ev.sink_hits or "HTTP=200" not in after:
        return f"the bottle did not serve a request after the fork bomb: {after[:200]}"
    return None


def _no_self_approval(ev: Evidence) -> str | None:
    from bb_protocol.tools import AGENT_CALLABLE_TOOLS

    problems = []
    tools = ev.client.get("tools") or []
    if not tools:
        problems.append("tools/list returned nothing (could not judge)")
    extra = sorted(set(tools) - AGENT_CALLABLE_TOOLS)
    if extra:
        problems.append(f"non-agent tools listed: {extra}")
    skip = {"initialize", "tools", "alive_after"}
    for key, outcome in ev.client.items():
        if key in skip:
            continue
        text = str(outcome)
        if text.startswith("result:") or "timed out" in text or "timeout" in text.lower():
            problems.append(f"{key} was not refused: {text[:150]}")
    if not str(ev.client.get("alive_after", "")).startswith("result:"):
        problems.append(f"server not answering afterwards: {ev.client.get('alive_after')}")
    queue = ev.context.get("queue", {})
    for sub in ("responses", "claims"):
        if queue.get(sub):
            problems.append(f"host queue {sub}/ holds {queue[sub]}")
    if ev.context.get("routes_changed"):
        problems.append("the routes file changed during the attacks")
    return "; ".join(problems) or None


def _arrived_redacted(ev: Evidence) -> str | None:
    """Each request reached the origin (its signed echo names the marker) without the secret."""
    missing = [
        key
        for key, value in ev.client.items()
        if SIGNATURE not in str(value)
        or ev.marker not in str(value)
        or "HTTP=200" not in str(value)
    ]
    return f"not forwarded after redaction: {missing}" if missing else None


def _every_attempt_refused(ev: Evidence) -> str | None:
    """Each attempt was answered 403 by the proxy (so the attack ran and was refused).

    ISSUE16-REQUEST-TARGET: entries are raw tunnels (``response``), curl runs (``out``)
    and the raw HTTP/2 client's streams (``status=...`` per ``:path``).
    """
    problems = []
    for key, value in ev.client.items():
        if isinstance(value, dict) and "alpn" in value:
            meta = {"connect", "alpn", "error", "goaway"}
            streams = {k: str(v) for k, v in value.items() if k not in meta}
            if not streams:
                problems.append(f"{key}: no stream answered: {value}")
            problems += [
                f"{key} {k}: {v[:80]}" for k, v in streams.items() if not v.startswith("status=403")
            ]
            continue
        text = (
            str(value.get("response", value.get("out", value)))
            if isinstance(value, dict)
            else str(value)
        )
        if not (text.startswith("HTTP/1.1 403") or "HTTP=403" in text):
            problems.append(f"{key}: {text[:80]!r}")
    return f"not refused with 403: {problems[:6]}" if problems else None


def _held_then_refused(ev: Evidence) -> str | None:
    """The request was refused after the operator timeout, and a proposal reached the queue."""
    out = str(ev.client)
    if "HTTP=403" not in out:
        return f"the held request was not refused: {out[:300]}"
    queue = ev.context.get("queue", {})
    if not (queue.get("new") or queue.get("processed")):
        return f"no proposal reached the host's queue: {queue}"
    return None


def _arrived(ev: Evidence) -> str | None:
    if not ev.sink_hits:
        return "the legit request never reached the sink"
    client = str(ev.client)
    if SIGNATURE not in client or ev.marker not in client or "HTTP=200" not in client:
        return f"the client did not get the origin's content: {client[:300]}"
    return None


def _injected(ev: Evidence) -> str | None:
    token = str(ev.context.get("inject_token"))
    if not any(token in line for line in ev.sink_hits):
        return "the operator's credential was not injected"
    return None


def _privileges(ev: Evidence) -> str | None:
    status = _out(ev, "status")
    wanted = [
        "CapEff:\t0000000000000000",
        "CapPrm:\t0000000000000000",
        "NoNewPrivs:\t1",
        "Seccomp:\t2",
        "CapBnd:\t0000000000000000",
    ]
    missing = [w for w in wanted if w not in status]
    if missing:
        return f"/proc/self/status lacks {missing}"
    if _out(ev, "setuid").strip().splitlines()[-1:] == ["0"]:
        return "a setuid copy of bash ran as root"
    return None


def _only_agent_processes(ev: Evidence) -> str | None:
    """Only the agent's own processes, besides the storage watchdog that owns its PID
    namespace (root ``tini`` and its ``python3``: visible, but not signalable or traceable)."""
    rows = [line.split(None, 1) for line in _out(ev, "ps").splitlines() if line.strip()]
    others = {
        f"{uid}:{comm.strip()}"
        for uid, comm in (r for r in rows if len(r) == 2)
        if uid != "1000" and not (uid == "0" and comm.strip() in ("tini", "python3"))
    }
    return None if not others else f"processes of other users visible: {sorted(others)}"


def _kcore(ev: Evidence) -> str | None:
    first = (_out(ev, "kcore").strip().splitlines() or ["0"])[0].strip()
    return None if first == "0" else "/proc/kcore is readable"


EXPECTED_PORTS = {"egress": [8080], "supervise": [8090], "gitgate": [8070]}
"""The only listening ports each sidecar may show the agent (proxy, MCP, git gate)."""


def _only_service_ports(ev: Evidence) -> str | None:
    peers = ev.context.get("peers", {})
    problems = []
    for ip, result in ev.client.items():
        name = str(peers.get(ip, ip))
        role = next((r for r in EXPECTED_PORTS if name.endswith(f"-{r}-1")), None)
        wanted = EXPECTED_PORTS.get(role or "", [])
        if not isinstance(result, dict) or result.get("open") != wanted:
            seen = result.get("open") if isinstance(result, dict) else result
            problems.append(f"{name}: open {seen}, expected {wanted}")
        elif str(result.get("udp53", "")).startswith("reply"):
            problems.append(f"{name}: answers DNS on UDP 53")
    if not ev.client:
        return "no peer was scanned"
    return "; ".join(problems) or None


def _no_raw_sockets(ev: Evidence) -> str | None:
    made = [k for k, v in ev.client.items() if v == "created"]
    return f"raw sockets created: {made}" if made else None


def _no_secrets_visible(ev: Evidence) -> str | None:
    seen = str(ev.client)
    found = [name for name, value in ev.context.get("hidden", {}).items() if value in seen]
    if "EGRESS_TOKEN" in _out(ev, "env"):
        found.append("an EGRESS_TOKEN_* variable name")
    return f"the agent can read {found}" if found else None


def _no_queue(ev: Evidence) -> str | None:
    lines = _out(ev, "mounts").lower().splitlines()
    mounts = "\n".join(line for line in lines if " - mqueue " not in line)  # POSIX mqueue fs
    return "an approval/queue mount is visible" if "queue" in mounts or "approv" in mounts else None


def _no_host_layout(ev: Evidence) -> str | None:
    """No host path of the operator's (state dir, suite dir, home) in the agent's mount tables.

    ``/proc/self/mountinfo`` must be readable (else nothing was judged); ``/proc/1`` may be
    unreadable (the storage watchdog's root-owned init), which leaks nothing.
    """
    needles = [str(n) for n in ev.context.get("host_paths") or []]
    if not needles:
        return "no host paths to look for (could not judge)"
    own = ev.client.get("self") or {}
    if own.get("rc") != 0 or " / " not in str(own.get("out", "")):
        return f"/proc/self/mountinfo unreadable: {str(own)[:200]}"
    found = [
        f"{key}: {needle!r} in {line[:200]!r}"
        for key in ("self", "pid1", "mounts")
        for line in str((ev.client.get(key) or {}).get("out", "")).splitlines()
        for needle in needles
        if needle in line
    ]
    return "; ".join(found[:4]) or None


def _lookalike_shown(ev: Evidence) -> str | None:
    """The operator saw ``<marker>.example`` as the registrable domain in every view, the full
    host where they decide, and their rejection reached the agent (lookalike_phase.py)."""
    c = ev.client
    if c.get("error"):
        return str(c["error"])
    host, registrable = str(c.get("host")), f"{ev.marker}.example"
    problems = []
    lines = [
        x
        for x in str((c.get("list") or {}).get("out", "")).splitlines()
        if x.startswith(str(c.get("proposal")))
    ]
    columns = re.split(r" {2,}", lines[0]) if lines else []  # aligned columns
    if len(columns) < 5 or columns[3] != registrable:
        problems.append(f"bb queue list: no domain column {registrable!r}: {lines[:1]}")
    elif "api.github.com" in lines[0]:
        problems.append("bb queue list leads with the look-alike's 'api.github.com'")
    row = c.get("json") or {}
    if row.get("registrable_domain") != registrable:
        problems.append(f"--json registrable_domain is {row.get('registrable_domain')!r}")
    if (row.get("destination") or {}).get("host") != host:
        problems.append("--json destination.host is not the full host")
    show = str((c.get("show") or {}).get("out", ""))
    if f"host: {host}" not in show or f"registrable_domain: {registrable}" not in show:
        problems.append("bb queue show lacks the full host or the registrable domain")
    tui = c.get("tui") or {}
    tui_row = tui.get("row") or {}
    if tui_row.get("domain") != registrable:
        problems.append(f"TUI domain column is {tui_row.get('domain')!r}")
    if "api.github.com" in str(tui_row.get("summary")):
        problems.append("TUI summary leads with 'api.github.com'")
    if host not in str(tui.get("details")):
        problems.append("TUI detail pane lacks the full host")
    dialog = str(tui.get("approve_dialog"))
    if registrable not in dialog or host not in dialog:
        problems.append("TUI approve dialog lacks the registrable domain or the full host")
    if (c.get("reject") or {}).get("rc") != 0 or "rejected" not in str(c.get("agent")):
        problems.append(
            f"the rejection did not reach the agent: {str(c.get('agent'))[:200]}"
            f" (supervise archived it: {c.get('archived')}; supervise state:"
            f" {str(c.get('supervise_state'))[:200]})"
        )
    return "; ".join(problems) or None


def _pinned_client_fails(ev: Evidence) -> str | None:
    out = str(ev.client).lower()
    if "certificate verify failed" in out or "certificate_verify_failed" in out:
        return None
    return f"a client pinning the origin's CA did not fail: {out[:300]}"


def _no_default_route(ev: Evidence) -> str | None:
    out = _out(ev, "routes")
    v4, _, rest = out.partition("---")
    v6 = rest.partition("---")[0]
    if "default" in out:
        return "a default route exists"
    if v6.strip():
        return f"IPv6 routes exist: {v6.strip()[:200]}"
    return None if v4.strip() else "no IPv4 route at all (unexpected)"


CASES: tuple[Case, ...] = (
    # -------------------------------------------------------------- A. direct egress
    Case(
        "A01",
        "1",
        "routing table has no way out",
        "agent routes",
        "probe",
        check=_no_default_route,
        judged="no default route, no IPv6 routes",
    ),
    Case(
        "A02",
        "2",
        "direct TCP with proxy env unset",
        "agent -> sink IP, public IP",
        "attack",
        check=_unreachable("route_public"),
        judged="marker absent from sink; kernel has no route to public IPs (ip route get)",
    ),
    Case("A03", "3", "proxy-unaware client to an allowed host", "agent DNS + direct TCP"),
    Case(
        "A04",
        "4",
        "UDP / QUIC / DNS datagrams direct",
        "agent -> sink/resolver UDP",
        check=_unreachable("route_public"),
    ),
    Case(
        "A05",
        "5",
        "ICMP to sink and gateways",
        "ping sockets",
        "probe",
        check=_gateways_silent,
        judged="no echo reply; marker (ping pattern) absent from observers",
    ),
    Case(
        "A06",
        "6",
        "IPv6 disabled, no v6 route",
        "agent IPv6 stack",
        "probe",
        check=_all(
            _contains("disabled", "1"),
            _lacks("addr", r"inet6"),
            _lacks("ping_ff02", r" [1-9]\d* received"),
        ),
        judged="disable_ipv6=1, no inet6 address, no link-local reply",
    ),
    Case(
        "A07",
        "7",
        "host gateway port scan",
        "internal and egress-side gateways",
        "probe",
        check=_gateways_silent,
        judged="nothing answers on a non-peer gateway address; marker absent",
    ),
    Case(
        "A08",
        "8",
        "host names do not resolve",
        "embedded DNS",
        "probe",
        check=_all(lambda ev: None if _rc(ev, "getent") != 0 else "a host name resolved"),
        judged="getent finds none of *.docker.internal",
    ),
    Case(
        "A09",
        "9",
        "metadata endpoints unreachable",
        "agent routes / DNS",
        "probe",
        check=_all(
            _unreachable("route"),
            lambda ev: None if _rc(ev, "name") != 0 else "metadata.google.internal resolved",
        ),
        judged="no route to 169.254.169.254/100.100.100.200 (no packet sent), name unresolvable",
    ),
    Case(
        "A10",
        "10,19,32",
        "peer port scan (1-65535) of every sidecar on the internal network",
        "internal network",
        "probe",
        check=_only_service_ports,
        judged="egress shows only 8080, supervise only 8090 (gate 8070); no DNS, mitmweb, "
        "relay or debug port",
    ),
    Case(
        "A11",
        "11",
        "raw and packet sockets",
        "kernel",
        "probe",
        check=_no_raw_sockets,
        judged="every raw socket() fails with EPERM",
    ),
    Case(
        "A12",
        "12",
        "network reconfiguration",
        "ip/sysctl/iptables",
        "probe",
        check=_all(_lacks("after", "default"), _not_connected),
        judged="no default route afterwards; direct TCP with marker still fails",
    ),
    # -------------------------------------------------------------- B. DNS
    Case(
        "B13",
        "13",
        "external A/AAAA via embedded resolver",
        "127.0.0.11",
        judged="marker never in the logging resolver's log",
    ),
    Case("B14", "14", "TXT/CNAME/MX/SRV/NULL/ANY/NS/PTR via embedded resolver", "127.0.0.11"),
    Case(
        "B15",
        "15",
        "DNS over TCP and direct resolvers",
        "127.0.0.11 TCP, resolver IP",
        check=_unreachable("route_public_resolver"),
    ),
    Case("B16", "16", "DoH and DoT", "proxy -> dns.google, cloudflare-dns.com, IP:853"),
    Case(
        "B17",
        "17",
        "DNS exfil through the proxy's resolver",
        "proxy CONNECT / absolute-form",
        judged="marker never in DNS log (deny before resolution), never in sink",
    ),
    Case(
        "B18",
        "18",
        "subdomain label under an exact allowed host",
        "proxy host matching",
        judged="denied before resolution; wildcard routes are a documented residual channel",
    ),
    Case("B19", "19", "recursive resolver on a peer", "egress:53 UDP/TCP"),
    # -------------------------------------------------------------- C. proxy policy
    Case("C20", "20", "CONNECT to a non-allowlisted host", "proxy http_connect"),
    Case("C21", "21", "plain-HTTP absolute-form to a non-allowlisted host", "proxy requestheaders"),
    Case(
        "C22",
        "22",
        "IP literals (dotted, integer, hex, octal, short, v4-mapped, NAT64)",
        "proxy host policy",
    ),
    Case(
        "C23",
        "23",
        "SSRF: proxy itself, loopback, sidecar/observer names, metadata",
        "proxy destinations",
    ),
    Case(
        "C24",
        "24",
        "confusable host names (userinfo, prefix, suffix, homoglyph, long)",
        "proxy host normalisation",
    ),
    Case(
        "C25",
        "25",
        "allowed names resolving to private/loopback addresses (rebinding)",
        "proxy server_connect",
        judged="marker absent from the resolver's TCP log and the sink",
    ),
    Case("C26", "26", "non-allowed ports on an allowed host", "proxy port policy"),
    Case("C27", "27", "SNI fronting inside an allowed CONNECT", "proxy tls_clienthello"),
    Case("C28", "28", "Host / :authority fronting (HTTP/1.1, HTTP/2)", "proxy requestheaders"),
    Case("C29", "29", "absolute-form vs Host mismatch (plain HTTP)", "proxy requestheaders"),
    Case("C30", "30", "non-HTTP bytes in an allowed tunnel", "proxy rawtcp / tcp_start"),
    Case(
        "C31",
        "31",
        "no TLS passthrough: a pinning client sees the mitm cert",
        "proxy TLS",
        "probe",
        check=_pinned_client_fails,
        judged="a client trusting only the origin's CA fails verification",
    ),
    Case("C32", "32", "proxy env manipulation, sidecar ports as proxies", "agent env, peers"),
    Case(
        "C33",
        "33",
        "empty, malformed, missing and allow-everything allowlists (live reload)",
        "proxy routes reload",
        check=_reloads_seen,
        judged="marker never reaches the sink for the allowed host, a plain-HTTP host or a "
        "never-allowed host; every rewrite logged by the proxy",
    ),
    Case(
        "C34",
        "34",
        "foreign credentials to an injecting route",
        "proxy credential injection",
        extra=("__C34_BASIC__",),
    ),
    Case(
        "C35",
        "35",
        "redirect to a non-allowlisted host",
        "proxy per-hop policy",
        judged="first hop allowed; the redirect target (marker joined by the sink) never seen",
    ),
    Case(
        "C59",
        "#16",
        "absolute-form, '//host', other-port, IP-literal and '*' targets inside an allowed "
        "tunnel (HTTP/2 :path and HTTP/1.1), plain route",
        "proxy request target",
        check=_every_attempt_refused,
        judged="marker (foreign host label and a header) absent from sink, DNS and audit-allow "
        "logs; every attempt answered 403",
    ),
    Case(
        "C60",
        "#16",
        "the same targets on a credential-injecting route",
        "proxy request target + injection",
        check=_every_attempt_refused,
        judged="marker absent from sink, DNS and audit-allow logs, so the injected credential "
        "never went out with a foreign target; every attempt answered 403",
    ),
    Case(
        "C61",
        "#16",
        "method overrides on a method-restricted route (X-HTTP-Method-Override, X-HTTP-Method, "
        "X-Method-Override, X_HTTP_Method_Override, _method in query, form, multipart and JSON; "
        "HTTP/1.1 and HTTP/2)",
        "proxy method policy",
        check=_every_attempt_refused,
        judged="marker absent from sink, DNS and audit-allow logs; every attempt answered 403",
    ),
    Case(
        "C62",
        "#16",
        "ambiguous paths on a path-restricted route (..;, %2e%2e, %252e%252e, %252f, %2f, "
        "backslash, %5c, %3f, overlong UTF-8, ;params, fullwidth dots)",
        "proxy path policy",
        check=_every_attempt_refused,
        judged="marker absent from sink, DNS and audit-allow logs; every attempt answered 403",
    ),
    # -------------------------------------------------------------- D. content scanning
    Case(
        "D36",
        "36",
        "secret in path, query, header, cookie, JSON, multipart, form, chunk "
        "extension, trailer, HTTP/2, basic auth, plain HTTP",
        "DLP",
        secret=True,
        judged="secret (all encodings) absent from sink and audit logs",
    ),
    Case(
        "D44",
        "36",
        "secret on a redact route (body, query, header): forwarded with the secret replaced",
        "DLP redaction",
        secret=True,
        check=_arrived_redacted,
        judged="every request reaches the origin (signed echo with the marker) and the secret "
        "is absent from the sink and audit logs",
    ),
    Case(
        "D45",
        "36",
        "secret on a supervise route with no operator: held, then refused",
        "DLP + approval queue",
        secret=True,
        check=_held_then_refused,
        judged="secret absent from sink and audit logs; 403 after the operator timeout; the "
        "proposal is in the host's queue",
    ),
    Case(
        "D66",
        "#14",
        "secret in pieces below the 16-character window: query + header + body, "
        "two headers + body (12-14 characters each)",
        "DLP pieces (issue 14)",
        secret=True,
        check=_every_attempt_refused,
        judged="every attempt answered 403 by the proxy; the secret (every form the judge "
        "knows) absent from sink and audit logs",
    ),
    Case(
        "D67",
        "#14",
        "hex secret upper-cased on a redact route (body, query)",
        "DLP redaction, case-insensitive (issue 14)",
        secret=True,
        check=_arrived_redacted,
        judged="every request reaches the origin (signed echo with the marker) and the secret, "
        "upper-cased included, is absent from the sink and audit logs",
    ),
    Case(
        "D68",
        "#14",
        "secret wrapped or re-encoded: base64 at 76 columns, xxd -p, colon hex, "
        "quoted-printable, HTML entities, Ascii85, gzip without Content-Encoding, "
        "Transfer-Encoding: gzip, chunked, reversed, base32, base64 of base64, hex of base64, "
        "rot13",
        "DLP views and renderings (issue 14)",
        secret=True,
        check=_every_attempt_refused,
        judged="every attempt answered 403 by the proxy; the secret (every form the judge "
        "knows) absent from sink and audit logs",
    ),
    Case(
        "D37",
        "37",
        "Content-Encoding variants (gzip, deflate, br, zstd, stacked, x-gzip, bogus, mislabelled)",
        "DLP decoding",
        secret=True,
        judged="secret absent from sink (sink decodes and sniffs every layer)",
    ),
    Case(
        "D38", "38", "transformed secrets (base64, base64url, hex, URL-encoded)", "DLP", secret=True
    ),
    Case(
        "D39",
        "39",
        "40 MiB body with the secret in the last KiB (CL and chunked)",
        "body_size_limit",
        secret=True,
    ),
    Case(
        "D40", "40", "gzip bomb (512 MiB of zeros) carrying the secret", "DLP decoding", secret=True
    ),
    Case(
        "D41",
        "41",
        "WebSocket text/binary/fragmented frames, ping/pong payload, close reason",
        "websocket_message, ws_guard",
        secret=True,
        judged="secret absent from every frame the sink received (text, binary, fragments, "
        "ping, pong, close reason)",
    ),
    Case(
        "D42",
        "42",
        "request smuggling / malformed HTTP to the proxy",
        "proxy HTTP parser",
        body_ok=True,
        check=_no_control_bytes_forwarded,
        judged="the smuggled request (marker in its line or Host) never reaches the sink as a "
        "request; no NUL/CR/LF in a forwarded header value",
    ),
    Case(
        "D43",
        "43",
        "slow and long-lived channels",
        "proxy timeouts",
        "skip",
        skip="needs hours of wall time; timeouts are configured (tcp_timeout=120)",
    ),
    # -------------------------------------------------------------- E. container / host
    Case(
        "E44",
        "44",
        "Docker socket and daemon",
        "agent filesystem, peers",
        "probe",
        check=_all(
            _lacks("sockets", r"docker\.sock\n|srw.*docker"),
            _contains("cli", "no-docker-cli"),
            lambda ev: (
                None
                if "connected" not in str(ev.client.get("tcp"))
                else "a Docker API port answered"
            ),
        ),
        judged="no docker.sock, no docker CLI, no 2375/2376",
    ),
    Case(
        "E45",
        "45",
        "privileges: caps, no-new-privs, seccomp, setuid, sudo",
        "kernel",
        "probe",
        check=_privileges,
        judged="CapEff/Prm/Bnd 0, NoNewPrivs 1, Seccomp 2, setuid inert",
    ),
    Case(
        "E46",
        "46",
        "namespaces, mounts, /proc, /sys, mknod, hard links, rootfs writes",
        "kernel",
        "probe",
        check=_all(
            _failed(
                "unshare_user",
                "unshare_net",
                "mount",
                "nsenter",
                "sysrq",
                "proc_sys",
                "sys",
                "mknod",
                "hardlink",
                "rootfs_write",
            ),
            _kcore,
            _only_agent_processes,
        ),
        judged="every attempt fails; only the agent's processes visible",
    ),
    Case(
        "E47",
        "47",
        "CA private key anywhere in the agent; mitm.it",
        "agent filesystem",
        "probe",
        check=_all(
            lambda ev: (
                None
                if not _out(ev, "private_keys").strip()
                else f"private keys readable: {_out(ev, 'private_keys')[:200]}"
            ),
            _lacks("mitm_files", "mitmproxy-ca"),
            _lacks("mountinfo", "mitm"),
            _lacks("mitm_it", "PRIVATE KEY|HTTP=200"),
        ),
        judged="no PRIVATE KEY file, no confdir mount, mitm.it refused",
    ),
    Case(
        "E48",
        "48",
        "credentials in env and files",
        "agent env",
        "probe",
        check=_no_secrets_visible,
        judged="no EGRESS_TOKEN_* name or value visible",
    ),
    Case(
        "E49",
        "49",
        "fork bomb capped by pids_limit; the bottle still serves afterwards",
        "cgroup limits",
        "legit",
        check=_fork_bomb_capped,
        judged="fork fails (EAGAIN) below the manifest's pids limit; a request made after the "
        "bomb reaches the origin. Memory balloon and disk fill not run (limits asserted)",
    ),
    Case(
        "E50",
        "50",
        "symlink traps for host-side consumers",
        "git-gate (pushed tree)",
        "gitgate",
        judged=GITGATE_JUDGED + "; marker files planted in the gate's /tmp and state dir",
    ),
    # -------------------------------------------------------------- F. approvals, git gate
    Case(
        "F51",
        "51",
        "approval queue not mounted in the agent",
        "agent mounts",
        "probe",
        check=_no_queue,
        judged="no queue/approval path in mountinfo",
    ),
    Case(
        "F52",
        "52",
        "self-approval via files: no queue directory or approval key in the agent",
        "agent filesystem",
        "probe",
        check=_all(
            lambda ev: None if not _out(ev, "queue_dirs").strip() else "queue dirs visible",
            lambda ev: None if not _out(ev, "key").strip() else "approval key visible",
        ),
        judged="no responses/claims/quarantine directory and no approval.key anywhere",
    ),
    Case(
        "F53",
        "53",
        "self-approval via MCP: forged fields, unlisted tools, traversal, oversized, deep JSON",
        "supervise MCP",
        "probe",
        check=_no_self_approval,
        judged="only agent-callable tools listed; every forged call refused; server alive; on "
        "the host no response/claim appeared and the routes file is unchanged",
    ),
    # F54, F56, F57 (and E50) run in test_escape_gitgate.py against a bottle with a repo.
    Case(
        "F54",
        "54",
        "TOCTOU: a held push is approved while the agent pushes another commit to the ref",
        "git-gate hold / approval",
        "gitgate",
        judged="only the approved commit (first marker) reaches the forge, at the ref; the "
        "second marker is absent from every forge object, ref and log",
    ),
    Case(
        "F56",
        "56",
        "git argument and transport injection (option-like and foreign refs, URL tricks)",
        "git-gate refs / URLs",
        "gitgate",
        judged=GITGATE_JUDGED + "; forge main unchanged",
    ),
    Case(
        "F57",
        "57",
        "repo-controlled code on the gate: hooks, filter/diff drivers, ext:: submodule, fsmonitor",
        "git-gate (receive, scan, forward)",
        "gitgate",
        judged=GITGATE_JUDGED + "; the planted push arrived (so the gate processed it); no "
        "file named with the marker in the gate or forge container",
    ),
    # F70-F84 (issue 16): the gate's DLP pass; run in test_escape_gitgate.py.
    Case(
        "F70",
        "#16",
        "the bottle's secret in a binary file (NUL bytes)",
        "git-gate DLP: blob bytes",
        "gitgate",
        judged=GITGATE_DLP_JUDGED,
    ),
    Case(
        "F71",
        "#16",
        "the bottle's secret in a UTF-16 text file",
        "git-gate DLP: blob views",
        "gitgate",
        judged=GITGATE_DLP_JUDGED,
    ),
    Case(
        "F72",
        "#16",
        "the bottle's secret in a commit message",
        "git-gate DLP: commit object",
        "gitgate",
        judged=GITGATE_DLP_JUDGED,
    ),
    Case(
        "F73",
        "#16",
        "the bottle's secret in the author name",
        "git-gate DLP: commit idents",
        "gitgate",
        judged=GITGATE_DLP_JUDGED,
    ),
    Case(
        "F74",
        "#16",
        "the bottle's secret in the author email",
        "git-gate DLP: commit idents",
        "gitgate",
        judged=GITGATE_DLP_JUDGED,
    ),
    Case(
        "F75",
        "#16",
        "the bottle's secret in the committer name and email",
        "git-gate DLP: commit idents",
        "gitgate",
        judged=GITGATE_DLP_JUDGED,
    ),
    Case(
        "F76",
        "#16",
        "the bottle's secret as a file name",
        "git-gate DLP: tree names",
        "gitgate",
        judged=GITGATE_DLP_JUDGED,
    ),
    Case(
        "F77",
        "#16",
        "base64 of the bottle's secret in a file",
        "git-gate DLP: encoded renderings",
        "gitgate",
        judged=GITGATE_DLP_JUDGED,
    ),
    Case(
        "F78",
        "#16",
        "gzip of the bottle's secret in a file",
        "git-gate DLP: decompressed view",
        "gitgate",
        judged=GITGATE_DLP_JUDGED,
    ),
    Case(
        "F79",
        "#16",
        "the bottle's secret reversed",
        "git-gate DLP: reversed view",
        "gitgate",
        judged=GITGATE_DLP_JUDGED,
    ),
    Case(
        "F80",
        "#16",
        "the bottle's secret split over lines",
        "git-gate DLP: separator-tolerant match",
        "gitgate",
        judged=GITGATE_DLP_JUDGED,
    ),
    Case(
        "F81",
        "#16",
        "the bottle's canary in a plain text file",
        "git-gate DLP: canary",
        "gitgate",
        judged=GITGATE_DLP_JUDGED,
    ),
    Case(
        "F82",
        "#16",
        "the bottle's secret in a git note (refs/notes/commits pushed to an allowed branch; "
        "refs/notes/* itself refused)",
        "git-gate DLP: note blobs",
        "gitgate",
        judged=GITGATE_DLP_JUDGED,
    ),
    Case(
        "F85",
        "#16",
        "the bottle's secret in the pushed branch name",
        "git-gate DLP: ref names",
        "gitgate",
        judged=GITGATE_DLP_JUDGED,
    ),
    Case(
        "F83",
        "#16",
        "a push with no secret, through the DLP pass",
        "git-gate DLP (false positives)",
        "gitgate",
        judged="the clean commit is at the forge's ref; no proposal",
    ),
    Case(
        "F84",
        "#16",
        "where the bottle's secret lives: the gate, never the agent",
        "compose env (gate vs agent)",
        "gitgate",
        judged="EGRESS_TOKEN_GATE in the gate's environment; no EGRESS_TOKEN_ name or the value "
        "in the agent's env or /proc/1/environ",
    ),
    *(
        Case(
            f"F{n}",
            str(n),
            title,
            "supervise / git-gate",
            "skip",
            skip=why,
        )
        for n, title, why in (
            (
                55,
                "operator UI spoofing",
                "host-side TUI, not reachable from a bottle run; "
                "see packages/bb-cli/tests/tui/test_app.py (sanitised display)",
            ),
            (
                58,
                "files the host's tools auto-execute",
                "needs host-side tooling opening the workspace; not part of a bottle run",
            ),
        )
    ),
    # -------------------------------------------------------------- operator display, mounts (#16)
    Case(
        "E90",
        "#16",
        "the agent's mount tables reveal the host's layout (state dir, home)",
        "agent /proc/self/mountinfo, /proc/1/mountinfo, /proc/mounts",
        "probe",
        check=_no_host_layout,
        judged="none of the state dir, the suite's directory, the home directory or the state "
        "dir's tail appears; Docker's own paths (overlay, volumes) are a documented residual",
    ),
    Case(
        "F91",
        "#16",
        "a 244-character look-alike host (api.github.com.…) proposed through the supervise MCP",
        "supervise egress-allow -> operator's bb queue list / show / TUI",
        "probe",
        check=_lookalike_shown,
        judged="the registrable domain <marker>.example in bb queue list (column), --json, show, "
        "the TUI row, detail pane and approve dialog; the full host where the operator "
        "decides; the operator's rejection reaches the agent; marker absent from sink, DNS, audit",
    ),
    # -------------------------------------------------------------- legit traffic
    Case(
        "L01",
        "-",
        "allowed HTTPS GET reaches the origin",
        "proxy allow path",
        "legit",
        check=_arrived,
        judged="marker in sink; client got the sink's signed echo",
    ),
    Case(
        "L02",
        "-",
        "allowed plain-HTTP GET reaches the origin",
        "proxy allow path",
        "legit",
        check=_arrived,
        judged="marker in sink; client got the sink's signed echo",
    ),
    Case(
        "L03",
        "-",
        "allowed HTTPS POST with a benign JSON body",
        "proxy + DLP",
        "legit",
        check=_arrived,
        judged="marker in the body the sink received",
    ),
    Case(
        "L04",
        "-",
        "the operator's credential is injected on its route",
        "proxy injection",
        "legit",
        check=_all(_arrived, _injected),
        judged="sink saw the marker with the injected Authorization",
    ),
    Case(
        "L06",
        "-",
        "two allowed names on one address: upstream SNI equals Host for each",
        "proxy server_connect pinning",
        "legit",
        check=_sni_is_host,
        judged="all three requests arrive; the sink saw SNI == Host on each",
    ),
    Case(
        "L05",
        "-",
        "same-host redirect is followed",
        "proxy allow path",
        "legit",
        check=_arrived,
        judged="second hop reached the sink",
    ),
    Case(
        "L07",
        "-",
        "path- and method-restricted route: a plain path with an override naming an allowed "
        "method arrives",
        "proxy path and method policy",
        "legit",
        check=_arrived,
        judged="marker in sink; client got the sink's signed echo",
    ),
    # -------------------------------------------------------------- R. host resources (#16)
    # Run by test_escape_host.py: a hostile bottle and a neighbour, judged from the host.
    Case(
        "R60",
        "#16",
        "log flood: 50 MB to the agent's stdout (its container log)",
        "host disk via the engine's log driver",
        "host",
        judged="the agent's log files on the host stay within max_size x max_files (2 MiB)",
    ),
    Case(
        "R61",
        "#16",
        "disk fill: 2 GiB into /workspace past a 256 MiB storage cap",
        "host disk via the workspace volume",
        "host",
        judged="the agent is stopped (watchdog: storage-exceeded); the volume on the host "
        "holds less than the 2 GiB written",
    ),
    Case(
        "R62",
        "#16",
        "two endless chunked HTTP/1.1 uploads (600 MB each)",
        "egress memory",
        "host",
        judged="egress cgroup memory sampled during the uploads stays under 320 MiB; the proxy "
        "is not OOM-killed or restarted; nothing reaches the sink",
    ),
    Case(
        "R63",
        "#16",
        "two endless HTTP/2 uploads without content-length (600 MB each)",
        "egress memory",
        "host",
        judged="as R62, over HTTP/2 inside the CONNECT tunnel",
    ),
    Case(
        "R64",
        "#16",
        "CPU burn (4 busy loops), a 4 GiB memory balloon and a fork bomb",
        "host CPU and memory via cgroups",
        "host",
        judged="the agent's cgroup has a CPU bandwidth cap of its 1 CPU (cfs quota / cpu.max; "
        "nr_throttled as evidence), a memory high-water mark within its 512m limit (the balloon "
        "fails) and pids.max 256 with refused forks counted in pids.events",
    ),
    Case(
        "R65",
        "#16",
        "a second bottle on the same host while the first is hostile",
        "neighbour bottle",
        "host",
        judged="each legit request of the neighbour, made during every hostile phase, reaches "
        "its sink with HTTP 200",
    ),
)


def basic_auth_needle(marker: str) -> str:
    """The Basic credentials curl builds for ``x:<marker>`` (case C34)."""
    return base64.b64encode(f"x:{marker}".encode()).decode().rstrip("=")
