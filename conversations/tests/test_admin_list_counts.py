"""The admin lists of the two tables that grow with every message never count the whole table:
a filtered page counts what it shows, not every row ever stored."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conversations.tests.test_dashboard import metrics

pytestmark = pytest.mark.usefixtures("no_cachalot")

FILTERED_LISTS = [
    "/admin/conversations/message/?lane__exact=fast",
    "/admin/conversations/messagemetric/?lane__exact=fast",
]


def counts_made(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [query["sql"] for query in captured if "COUNT(" in query["sql"].upper()]


@pytest.mark.parametrize("url", FILTERED_LISTS)
@pytest.mark.parametrize("who", ["superuser", "clinic staff"])
def test_it_counts_only_the_filtered_rows_of_a_filtered_list(
    client, admin_user, clinic_staff, clinic, url, who
):
    metrics(clinic, [5.0, 7.0])
    metrics(clinic, [900.0], lane="llm")
    client.force_login(admin_user if who == "superuser" else clinic_staff)
    counts = counts_made(client, url)
    assert counts, "the filtered page still counts its own rows"
    for sql in counts:
        assert '."lane" = ' in sql, f"an unfiltered count: {sql}"
