"""Print one closing line summing every pytest JUnit report: 'N passed, N failed, N skipped'."""

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

passed = failed = skipped = 0
for report in sorted(Path(sys.argv[1] if len(sys.argv) > 1 else "reports").glob("*.xml")):
    root = ET.parse(report).getroot()  # noqa: S314 - our own pytest reports
    for suite in root.iter("testsuite"):
        tests = int(suite.get("tests", 0))
        f = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        s = int(suite.get("skipped", 0))
        print(f"{report.stem}: {tests - f - s} passed, {f} failed, {s} skipped")
        passed += tests - f - s
        failed += f
        skipped += s
print(f"{passed} passed, {failed} failed, {skipped} skipped")
