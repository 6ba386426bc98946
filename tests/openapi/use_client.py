"""A client generated from Beacon's OpenAPI document, used as a programme office's
script would: sign in, page the funding history, download it as CSV."""

import os
import sys

from beacon_client import AuthenticatedClient, Client
from beacon_client.api.auth import sign_in
from beacon_client.api.funding import export_funding_history, list_funding_history
from beacon_client.models import HistoryList, TokenRequest

base = sys.argv[1]
signed_in = sign_in.sync(
    client=Client(base_url=base),
    body=TokenRequest(
        email=os.environ["BEACON_ADMIN_EMAIL"],
        password=os.environ["BEACON_ADMIN_PASSWORD"],
    ),
)
assert signed_in is not None and signed_in.access_token, signed_in
client = AuthenticatedClient(base_url=base, token=signed_in.access_token)

seen = 0
cursor = None
for _ in range(3):
    kwargs = {"limit": 20}
    if cursor:
        kwargs["cursor"] = cursor
    page = list_funding_history.sync(client=client, **kwargs)
    assert isinstance(page, HistoryList), page
    seen += len(page.items)
    cursor = page.next_cursor
    if not cursor:
        break
assert seen > 0, "the seeded history has entries"

csv = export_funding_history.sync(client=client)
assert isinstance(csv, str), csv
header = csv.splitlines()[0]
assert "amount_pence" in header, header
print(f"ok: signed in, read {seen} history entries in pages, downloaded the CSV")
