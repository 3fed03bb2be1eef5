"""gitleaks:allow comments in added lines are findings of their own."""

from __future__ import annotations

from bb_gitgate.silencing import RULE_ID, find_allow_comments

C1, C2 = "1" * 40, "2" * 40

LOG = f"""commit {C1}

diff --git a/a.py b/a.py
--- a/a.py
+++ b/a.py
@@ -3,0 +4,2 @@
+x = 1
+KEY = "..."  # gitleaks:allow
@@ -10 +12 @@
-old  # gitleaks:allow
+new
commit {C2}

diff --git a/new.txt b/new.txt
new file mode 100644
--- /dev/null
+++ b/new.txt
@@ -0,0 +1 @@
+token gitleaks:allow
"""


def test_each_added_allow_comment_is_a_finding_with_its_location():
    """Commit, file and the added line's number are reported; removed lines are not."""
    findings = find_allow_comments(LOG)
    assert [(f.rule_id, f.commit, f.location) for f in findings] == [
        (RULE_ID, C1, "a.py:5"),
        (RULE_ID, C2, "new.txt:1"),
    ]


def test_a_log_without_allow_comments_has_no_findings():
    """Ordinary diffs produce nothing."""
    assert find_allow_comments(LOG.replace("gitleaks:allow", "fine")) == []


def test_merges_diffed_against_each_parent_report_a_line_once():
    """-m repeats a merge's diff per parent; one finding per location."""
    merge = f"commit {C1}\n--- a/a\n+++ b/a\n@@ -1 +1 @@\n+gitleaks:allow\n"
    assert len(find_allow_comments(merge + merge)) == 1
