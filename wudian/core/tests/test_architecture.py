"""Each shared answer has one home (docs/architecture.md): a scan of the project's source finds
no scope query outside the scope module and no refusal mapped to a status outside the three
mappings. The import directions themselves are checked by `lint-imports` in `make test`."""

from __future__ import annotations

import re
from pathlib import Path

import wudian

ROOT = Path(wudian.__file__).parent

# Filtering on who is assigned to what, or who belongs to which household.
SCOPE_QUERY = re.compile(
    r"assignments__user|memberships__user|household_memberships__|compound_assignments__"
    r"|community_assignments__|district_assignments__"
    r"|(?:Compound|Community|District)Assignment\.objects\.filter"
    r"|HouseholdMembership\.objects\.filter"
)
SCOPE_HOMES = {"grid/scope.py"}

# Turning a refusal into a status: the four refusal statuses written out, or a refusal's
# class tested to choose one.
REFUSAL_MAPPING = re.compile(
    r"Status\((?:403|404|409|422)\b|HttpError\((?:403|404|409|422)\b"
    r"|status=(?:403|404|409)\b"
    r"|isinstance\([^)]*\b(?:PermissionDenied|ValidationError|Http404|NotAllowed|OutsideScope"
    r"|WrongState|BadInput)\b"
)
REFUSAL_HOMES = {"core/errors.py", "api.py", "workorders/open311/documents.py"}


def project_sources() -> list[Path]:
    return sorted(
        path
        for path in ROOT.rglob("*.py")
        if not {"tests", "migrations"} & set(path.relative_to(ROOT).parts)
        and path.name != "conftest.py"
    )


def found(pattern: re.Pattern[str], homes: set[str]) -> list[str]:
    hits = []
    for path in project_sources():
        name = path.relative_to(ROOT).as_posix()
        if name in homes:
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if pattern.search(line):
                hits.append(f"{name}:{number}: {line.strip()}")
    return hits


def test_the_scan_reads_the_whole_project() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in project_sources()}
    assert {"grid/scope.py", "core/errors.py", "workorders/api.py"} <= names


def test_no_scope_query_outside_the_scope_module() -> None:
    assert found(SCOPE_QUERY, SCOPE_HOMES) == []


def test_no_refusal_mapping_outside_its_three_homes() -> None:
    assert found(REFUSAL_MAPPING, REFUSAL_HOMES) == []
