"""The role a posting's title names, which the posting linker links to O*NET (retrieval/jobs/posting_links.py)."""

from __future__ import annotations

import pytest

from retrieval.jobs.posting_links import role_of


@pytest.mark.parametrize(
    "title, role",
    [
        # the employer's name must not make a front-desk job a software job (a user saw it listed for a developer)
        ("Front Desk Coordinator with Innovative Software Developers", "Front Desk Coordinator"),
        ("Cashier at Target", "Cashier"),
        ("Driver for Uber", "Driver"),
        ("Registered Nurse with ICU Experience", "Registered Nurse"),
        # lower-case tails are part of the role, and a title without a tail is left alone
        ("Teacher for kids with autism", "Teacher for kids with autism"),
        ("Senior Data Analyst", "Senior Data Analyst"),
    ],
)
def test_the_role_is_the_head_of_the_title(title, role):
    assert role_of(title) == role
