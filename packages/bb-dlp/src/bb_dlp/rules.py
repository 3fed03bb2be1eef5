"""Provider credential formats: the ``token_patterns`` detector's rules, one table.

Every rule is written for this project (prefix, alphabet and length as each provider
documents its tokens) and carries its own positive and negative examples, which the test
suite runs. Patterns use the intersection of Python ``re`` and Hyperscan syntax: no
lookaround, no backreferences, bounded repetition only, so matching is linear in the input.
The optional named group ``secret`` marks the credential inside a contextual match; its
entropy must clear the rule's ``min_entropy`` (this drops placeholders such as ``ghp_xxxx``).

Examples are built from a seeded generator so their lengths are exact and no real credential
ever sits in the repository.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Final

__all__ = ["RULES", "TokenRule", "sample"]

_ALNUM: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_HEX: Final = "0123456789abcdef"
_B32: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_URLB64: Final = _ALNUM + "-_"
_B64: Final = _ALNUM + "+/"
_BECH32: Final = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"


def sample(n: int, alphabet: str = _ALNUM, seed: str = "") -> str:
    """A deterministic pseudo-random string of ``n`` characters from ``alphabet``."""
    out: list[str] = []
    counter = 0
    while len(out) < n:
        digest = hashlib.sha256(f"{seed}:{n}:{counter}".encode()).digest()
        out.extend(alphabet[b % len(alphabet)] for b in digest)
        counter += 1
    return "".join(out[:n])


@dataclass(frozen=True, slots=True)
class TokenRule:
    """One provider credential format."""

    id: str
    provider: str
    pattern: str
    examples: tuple[str, ...]
    negative_examples: tuple[str, ...]
    min_entropy: float = 3.0
    severity: str = "high"
    regex: re.Pattern[bytes] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "regex", re.compile(self.pattern.encode()))

    @property
    def hyperscan_pattern(self) -> bytes:
        """The pattern with named groups turned into plain groups (Hyperscan has no names)."""
        return re.sub(r"\(\?P<[a-z]+>", "(", self.pattern).encode()


def _r(n: int, alphabet: str = _ALNUM, seed: str = "x") -> str:
    return sample(n, alphabet, seed)


RULES: Final[tuple[TokenRule, ...]] = (
    TokenRule(
        "aws-access-key-id",
        "AWS",
        r"\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16}\b",
        ("AKIAIOSFODNN7EXAMPLE", f"aws_access_key_id = ASIA{_r(16, _B32, 'aws')}"),
        ("AKIAIOSFODNN7EXAMPL", "akiaiosfodnn7example", f"XAKIA{_r(16, _B32, 'aws')}"),
    ),
    TokenRule(
        "aws-secret-access-key",
        "AWS",
        r"(?i:aws)[A-Za-z0-9_ .-]{0,20}(?i:secret)[A-Za-z0-9_ .-]{0,20}[\"']?\s{0,3}[:=]{1,2}>?"
        r"\s{0,3}[\"']?(?P<secret>[A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+]|$)",
        (
            f'AWS_SECRET_ACCESS_KEY="{_r(40, _B64, "awss")}"',
            f"aws_secret_access_key = {_r(40, _B64, 'awss2')}\n",
        ),
        (
            f'AWS_SECRET_ACCESS_KEY="{_r(39, _B64, "awss")}"',
            'aws_secret_access_key = "${AWS_SECRET_ACCESS_KEY}"',
        ),
    ),
    TokenRule(
        "github-classic-pat",
        "GitHub",
        r"\bghp_[A-Za-z0-9]{36}\b",
        (f"ghp_{_r(36, seed='ghp')}", f"token: ghp_{_r(36, seed='ghp2')}"),
        (f"ghp_{_r(35, seed='ghp')}", "ghp_" + "x" * 36, f"GHP_{_r(36, seed='ghp')}"),
    ),
    TokenRule(
        "github-fine-grained-pat",
        "GitHub",
        r"\bgithub_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}\b",
        (f"github_pat_{_r(22, seed='fg')}_{_r(59, seed='fg2')}",),
        (f"github_pat_{_r(22, seed='fg')}_{_r(20, seed='fg2')}", "github_pat_<your token>"),
    ),
    TokenRule(
        "github-oauth-token",
        "GitHub",
        r"\bgho_[A-Za-z0-9]{36}\b",
        (f"gho_{_r(36, seed='gho')}",),
        (f"gho_{_r(30, seed='gho')}",),
    ),
    TokenRule(
        "github-app-token",
        "GitHub",
        r"\bgh[usr]_[A-Za-z0-9]{36,255}\b",
        (f"ghs_{_r(36, seed='ghs')}", f"ghu_{_r(36, seed='ghu')}", f"ghr_{_r(76, seed='ghr')}"),
        (f"ghx_{_r(36, seed='ghs')}", f"ghs_{_r(20, seed='ghs')}"),
    ),
    TokenRule(
        "gitlab-token",
        "GitLab",
        r"\b(?:(?:glpat|gldt|glrt|glptt|glft|glimt|glagent|glcbt|gloas|glsoat)-[A-Za-z0-9_.-]{20,300}"
        r"|GR1348941[A-Za-z0-9_-]{20,40})",
        (f"glpat-{_r(20, _URLB64, 'glpat')}", f"glrt-t1_{_r(27, _URLB64, 'glrt')}"),
        (f"glpat-{_r(12, seed='glpat')}", "glpat-xxxxxxxxxxxxxxxxxxxx"),
    ),
    TokenRule(
        "slack-token",
        "Slack",
        r"\bxox[abposre]-[0-9]{6,15}-[0-9A-Za-z-]{8,250}",
        (
            f"xoxb-{_r(12, '0123456789', 'sl')}-{_r(13, '0123456789', 'sl2')}-{_r(24, seed='sl')}",
            f"xoxp-{_r(11, '0123456789', 'sp')}-{_r(11, '0123456789', 'sp2')}-{_r(32, _HEX, 'sp')}",
        ),
        ("xoxb-your-token-here", "xoxq-1234567890-abcdefghij"),
    ),
    TokenRule(
        "slack-app-token",
        "Slack",
        r"\bxapp-[0-9]-[A-Z0-9]{9,12}-[0-9]{10,14}-[a-f0-9]{64}\b",
        (f"xapp-1-A{_r(10, _B32, 'xa')}-{_r(13, '0123456789', 'xa')}-{_r(64, _HEX, 'xa')}",),
        (f"xapp-1-A{_r(10, _B32, 'xa')}-{_r(13, '0123456789', 'xa')}-{_r(30, _HEX, 'xa')}",),
    ),
    TokenRule(
        "slack-webhook-url",
        "Slack",
        r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<secret>T[A-Z0-9]{6,12}/"
        r"[A-Z0-9]{6,14}/[A-Za-z0-9]{16,40})",
        (
            "https://hooks.slack.com/services/"
            f"T{_r(8, _B32, 'w')}/B{_r(10, _B32, 'w')}/{_r(24, seed='w')}",
        ),
        ("https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",),
    ),
    TokenRule(
        "stripe-secret-key",
        "Stripe",
        r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{20,247}\b",
        (f"sk_live_{_r(24, seed='stripe')}", f"rk_test_{_r(99, seed='stripe2')}"),
        (f"pk_live_{_r(24, seed='stripe')}", "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx"),
    ),
    TokenRule(
        "stripe-webhook-secret",
        "Stripe",
        r"\bwhsec_[A-Za-z0-9]{32,64}\b",
        (f"whsec_{_r(32, seed='whsec')}",),
        ("whsec_...", f"whsec_{_r(16, seed='whsec')}"),
    ),
    TokenRule(
        "anthropic-api-key",
        "Anthropic",
        r"\bsk-ant-(?:api|admin|sid|oat)[0-9]{2}-[A-Za-z0-9_-]{32,200}",
        (f"sk-ant-api03-{_r(93, _URLB64, 'ant')}AA", f"sk-ant-admin01-{_r(93, _URLB64, 'ant2')}AA"),
        ("sk-ant-api03-...", f"sk-ant-api03-{_r(20, seed='ant')}"),
    ),
    TokenRule(
        "openai-api-key",
        "OpenAI",
        r"\bsk-(?:(?:proj|svcacct|admin)-)?[A-Za-z0-9_-]{8,200}T3BlbkFJ[A-Za-z0-9_-]{8,200}",
        (
            f"sk-{_r(20, seed='oai')}T3BlbkFJ{_r(20, seed='oai2')}",
            f"sk-proj-{_r(74, _URLB64, 'oai3')}T3BlbkFJ{_r(74, _URLB64, 'oai4')}",
        ),
        (f"sk-{_r(48, seed='oai')}", "sk-T3BlbkFJ"),
    ),
    TokenRule(
        "openai-project-key",
        "OpenAI",
        r"\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,300}",
        (f"sk-proj-{_r(120, _URLB64, 'oaip')}",),
        ("sk-proj-abc", "sk-proj-your-key-here"),
    ),
    TokenRule(
        "google-api-key",
        "Google",
        r"\bAIza[0-9A-Za-z_-]{35}",
        (f"AIza{_r(35, _URLB64, 'gapi')}", f"key=AIza{_r(35, _URLB64, 'gapi2')}&x=1"),
        (f"AIza{_r(20, _URLB64, 'gapi')}", f"aiza{_r(35, _URLB64, 'gapi')}"),
    ),
    TokenRule(
        "google-oauth-client-secret",
        "Google",
        r"\bGOCSPX-[A-Za-z0-9_-]{28}\b",
        (f"GOCSPX-{_r(28, _URLB64, 'gocs')}",),
        (f"GOCSPX-{_r(10, seed='gocs')}",),
    ),
    TokenRule(
        "npm-access-token",
        "npm",
        r"\bnpm_[A-Za-z0-9]{36}\b",
        (f"npm_{_r(36, seed='npm')}", f"//registry.npmjs.org/:_authToken=npm_{_r(36, seed='n2')}"),
        (f"npm_{_r(30, seed='npm')}", "npm_install_dependencies_for_all_pkgs"),
    ),
    TokenRule(
        "pypi-upload-token",
        "PyPI",
        r"\bpypi-AgE(?:IcHlwaS5vcmc|NdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50,300}",
        (f"pypi-AgEIcHlwaS5vcmc{_r(140, _URLB64, 'pypi')}",),
        ("pypi-AgEIcHlwaS5vcmc", f"pypi-{_r(60, seed='pypi')}"),
    ),
    TokenRule(
        "huggingface-token",
        "Hugging Face",
        r"\b(?:hf_|api_org_)[A-Za-z0-9]{34}\b",
        (f"hf_{_r(34, seed='hf')}", f"api_org_{_r(34, seed='hforg')}"),
        (f"hf_{_r(20, seed='hf')}", "hf_hub_download_repository_files_now"),
    ),
    TokenRule(
        "sendgrid-api-key",
        "SendGrid",
        r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b",
        (f"SG.{_r(22, _URLB64, 'sg')}.{_r(43, _URLB64, 'sg2')}",),
        (f"SG.{_r(22, _URLB64, 'sg')}", "SG.xxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxx"),
    ),
    TokenRule(
        "digitalocean-token",
        "DigitalOcean",
        r"\bdo[opr]_v1_[a-f0-9]{64}\b",
        (f"dop_v1_{_r(64, _HEX, 'do')}", f"dor_v1_{_r(64, _HEX, 'do2')}"),
        (f"dop_v1_{_r(40, _HEX, 'do')}", f"dop_v2_{_r(64, _HEX, 'do')}"),
    ),
    TokenRule(
        "shopify-token",
        "Shopify",
        r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b",
        (f"shpat_{_r(32, _HEX, 'shop')}", f"shpss_{_r(32, _HEX, 'shop2')}"),
        (f"shpxx_{_r(32, _HEX, 'shop')}", f"shpat_{_r(20, _HEX, 'shop')}"),
    ),
    TokenRule(
        "private-key-block",
        "PEM/PGP",
        r"-----BEGIN[ A-Z0-9]{0,30} PRIVATE KEY(?: BLOCK)?-----(?:\s|\\[rn]|[\"'+]){1,12}"
        r"(?:[A-Za-z-]{2,30}: [^\r\n\\]{1,100}(?:\s|\\[rn]){1,8}){0,6}[A-Za-z0-9+/=]{40}",
        (
            f"-----BEGIN RSA PRIVATE KEY-----\n{_r(64, _B64, 'pem')}\n",
            f'"private_key": "-----BEGIN PRIVATE KEY-----\\n{_r(64, _B64, "pem2")}\\n',
            f"-----BEGIN OPENSSH PRIVATE KEY-----\r\n{_r(70, _B64, 'pem3')}",
            f"-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\n\n{_r(64, _B64, 'pgp')}",
        ),
        (
            "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----",
            f"-----BEGIN PUBLIC KEY-----\n{_r(64, _B64, 'pem')}\n",
            "-----BEGIN RSA PRIVATE KEY-----\n<your key here>",
        ),
        min_entropy=0.0,
    ),
    TokenRule(
        "twilio-api-key",
        "Twilio",
        r"\bSK[0-9a-f]{32}\b",
        (f"SK{_r(32, _HEX, 'tw')}",),
        (f"SK{_r(31, _HEX, 'tw')}", f"SK{_r(32, _ALNUM, 'tw')}X"),
    ),
    TokenRule(
        "atlassian-api-token",
        "Atlassian",
        r"\bATATT3[A-Za-z0-9_=-]{150,250}",
        (f"ATATT3xFfGF0{_r(180, _URLB64, 'atl')}",),
        ("ATATT3xFfGF0", f"ATATT3{_r(50, seed='atl')}"),
    ),
    TokenRule(
        "linear-api-key",
        "Linear",
        r"\blin_(?:api|oauth)_[A-Za-z0-9]{40}\b",
        (f"lin_api_{_r(40, seed='lin')}",),
        (f"lin_api_{_r(30, seed='lin')}",),
    ),
    TokenRule(
        "postman-api-key",
        "Postman",
        r"\bPMAK-[a-f0-9]{24}-[a-f0-9]{34}\b",
        (f"PMAK-{_r(24, _HEX, 'pm')}-{_r(34, _HEX, 'pm2')}",),
        (f"PMAK-{_r(24, _HEX, 'pm')}",),
    ),
    TokenRule(
        "doppler-token",
        "Doppler",
        r"\bdp\.(?:pt|st|sa|ct|scim|audit)\.(?:[a-z0-9_-]{1,30}\.)?[A-Za-z0-9]{40,44}\b",
        (f"dp.pt.{_r(43, seed='dp')}", f"dp.st.dev.{_r(40, seed='dp2')}"[:6] + _r(43, seed="dp3")),
        (f"dp.xx.{_r(43, seed='dp')}", f"dp.pt.{_r(20, seed='dp')}"),
    ),
    TokenRule(
        "databricks-token",
        "Databricks",
        r"\bdapi[a-f0-9]{32}(?:-[0-9])?\b",
        (f"dapi{_r(32, _HEX, 'dbx')}", f"dapi{_r(32, _HEX, 'dbx2')}-2"),
        (f"dapi{_r(20, _HEX, 'dbx')}",),
    ),
    TokenRule(
        "grafana-token",
        "Grafana",
        r"(?:\bglc_[A-Za-z0-9+/]{32,400}={0,2}|\bglsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}\b"
        r"|eyJrIjoi[A-Za-z0-9+/]{50,120}={0,2})",
        (f"glc_{_r(80, _B64, 'graf')}==", f"glsa_{_r(32, seed='glsa')}_{_r(8, _HEX, 'glsa')}"),
        ("glc_short", f"glsa_{_r(32, seed='glsa')}"),
    ),
    TokenRule(
        "newrelic-user-key",
        "New Relic",
        r"\bNRAK-[A-Z0-9]{27}\b",
        (f"NRAK-{_r(27, _B32, 'nr')}",),
        (f"NRAK-{_r(20, _B32, 'nr')}",),
    ),
    TokenRule(
        "sentry-token",
        "Sentry",
        r"\b(?:sntrys_eyJ[A-Za-z0-9+/=_-]{50,400}|sntryu_[a-f0-9]{64}\b)",
        (f"sntrys_eyJ{_r(120, _B64, 'sentry')}", f"sntryu_{_r(64, _HEX, 'sentry2')}"),
        ("sntrys_eyJhbGc", f"sntryu_{_r(40, _HEX, 'sentry2')}"),
    ),
    TokenRule(
        "square-token",
        "Square",
        r"\b(?:sq0(?:atp|csp)-[0-9A-Za-z_-]{22,43}|EAAA[A-Za-z0-9_-]{60})\b",
        (f"sq0atp-{_r(22, _URLB64, 'sq')}", f"EAAA{_r(60, _URLB64, 'sq2')}"),
        (f"sq0xxx-{_r(22, _URLB64, 'sq')}",),
    ),
    TokenRule(
        "age-secret-key",
        "age",
        r"\bAGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}\b",
        (f"AGE-SECRET-KEY-1{_r(58, _BECH32, 'age')}",),
        (f"AGE-SECRET-KEY-1{_r(40, _BECH32, 'age')}",),
    ),
    TokenRule(
        "hashicorp-vault-token",
        "HashiCorp Vault",
        r"\b(?:hv[sbr]\.[A-Za-z0-9_-]{24,300}|[sbr]\.CAES[A-Za-z0-9_-]{80,300})",
        (f"hvs.{_r(91, _URLB64, 'vault')}",),
        ("hvs.short", f"hvx.{_r(91, _URLB64, 'vault')}", "hvs.0123456789"),
    ),
    TokenRule(
        "terraform-cloud-token",
        "HashiCorp Terraform",
        r"\b[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70}\b",
        (f"{_r(14, seed='tfc')}.atlasv1.{_r(67, _URLB64, 'tfc2')}",),
        (f"{_r(14, seed='tfc')}.atlasv2.{_r(67, _URLB64, 'tfc2')}",),
    ),
    TokenRule(
        "azure-storage-key",
        "Azure",
        r"(?i:AccountKey|SharedAccessKey)=(?P<secret>[A-Za-z0-9+/]{40,100}={0,2})",
        (f"DefaultEndpointsProtocol=https;AccountName=x;AccountKey={_r(86, _B64, 'az')}==;",),
        ("AccountKey=<key>", f"AccountKey={_r(30, _B64, 'az')}=="),
    ),
    TokenRule(
        "telegram-bot-token",
        "Telegram",
        r"\b[0-9]{8,10}:AA[A-Za-z0-9_-]{30,35}\b",
        (f"{_r(10, '0123456789', 'tg')}:AA{_r(33, _URLB64, 'tg')}",),
        (f"{_r(10, '0123456789', 'tg')}:AB{_r(33, _URLB64, 'tg')}",),
    ),
    TokenRule(
        "mailchimp-api-key",
        "Mailchimp",
        r"\b[0-9a-f]{32}-us[0-9]{1,2}\b",
        (f"{_r(32, _HEX, 'mc')}-us21",),
        (f"{_r(32, _HEX, 'mc')}-eu21",),
    ),
    TokenRule(
        "supabase-token",
        "Supabase",
        r"\bsbp_[a-f0-9]{40}\b",
        (f"sbp_{_r(40, _HEX, 'sb')}",),
        (f"sbp_{_r(30, _HEX, 'sb')}",),
    ),
    TokenRule(
        "pulumi-token",
        "Pulumi",
        r"\bpul-[a-f0-9]{40}\b",
        (f"pul-{_r(40, _HEX, 'pul')}",),
        (f"pul-{_r(39, _HEX, 'pul')}",),
    ),
    TokenRule(
        "rubygems-api-key",
        "RubyGems",
        r"\brubygems_[a-f0-9]{48}\b",
        (f"rubygems_{_r(48, _HEX, 'rg')}",),
        (f"rubygems_{_r(40, _HEX, 'rg')}",),
    ),
    TokenRule(
        "docker-hub-pat",
        "Docker Hub",
        r"\bdckr_(?:pat|oat)_[A-Za-z0-9_-]{27,60}",
        (f"dckr_pat_{_r(27, _URLB64, 'dckr')}",),
        ("dckr_pat_short",),
    ),
    TokenRule(
        "notion-token",
        "Notion",
        r"\b(?:secret_[A-Za-z0-9]{43}|ntn_[0-9]{11}[A-Za-z0-9]{35})\b",
        (
            f"secret_{_r(43, seed='notion')}",
            f"ntn_{_r(11, '0123456789', 'ntn')}{_r(35, seed='ntn')}",
        ),
        (f"secret_{_r(20, seed='notion')}",),
    ),
    TokenRule(
        "airtable-pat",
        "Airtable",
        r"\bpat[A-Za-z0-9]{14}\.[a-f0-9]{64}\b",
        (f"pat{_r(14, seed='at')}.{_r(64, _HEX, 'at')}",),
        (f"pat{_r(14, seed='at')}.{_r(30, _HEX, 'at')}",),
    ),
    TokenRule(
        "heroku-api-key",
        "Heroku",
        r"\bHRKU-(?:AA)?[A-Za-z0-9_-]{58,70}",
        (f"HRKU-AA{_r(58, _URLB64, 'hk')}",),
        ("HRKU-short",),
    ),
    TokenRule(
        "flyio-token",
        "Fly.io",
        r"\bFlyV1 fm[12]_[A-Za-z0-9+/=_-]{100,2000}",
        (f"FlyV1 fm2_{_r(200, _B64, 'fly')}",),
        ("FlyV1 fm2_short",),
    ),
)
