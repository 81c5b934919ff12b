"""A partner system's view of e-track, through a client generated from openapi/etrack.json.

An office's system files a housing contract with its API key, edits it at the version it read,
submits it; the provider accepts, the ministry approves; the office amends it and the amendment is
accepted and approved; the office reads its readiness and follows the change feed, and its webhook
receives the same events, signed (checked with the `standardwebhooks` package); the foreign affairs
ministry reads the dataset granted to it; a step that is not possible is answered with a problem
document naming why. Nothing here writes HTTP by hand but the webhook receiver itself.

    python lifecycle.py http://127.0.0.1:8080
    (a portal started with `etrack serve --demo`, ETRACK_WEBHOOKS_ALLOW_PRIVATE=1 for the receiver)
"""

from __future__ import annotations

import datetime
import http.server
import sys
import threading
import time
import uuid
from typing import Any

from standardwebhooks import Webhook

from etrack_client import AuthenticatedClient, Client
from etrack_client.api.api_keys import create_api_key
from etrack_client.api.auth import login
from etrack_client.api.contracts import (
    act_on_contract,
    create_contract,
    decide_amendment,
    get_contract,
    propose_amendment,
    update_contract,
)
from etrack_client.api.datasets import read_dataset
from etrack_client.api.facilities import list_facilities
from etrack_client.api.feed import read_change_feed
from etrack_client.api.me import get_me
from etrack_client.api.readiness import get_client_readiness
from etrack_client.api.seasons import list_seasons
from etrack_client.api.webhooks import create_webhook
from etrack_client.models import (
    ActOnContractAction,
    AmendmentStatus,
    ChangeEvent,
    ContractStatus,
    ContractView,
    CreateAmendment,
    CreateApiKey,
    CreateHousingContract,
    CreateHousingContractType,
    CreateWebhook,
    Dataset,
    DecideAmendmentAction,
    EventType,
    FacilityKind,
    LoginRequest,
    ProblemDetails,
    ProblemDetailsCode,
    ReasonInput,
    Role,
    UpdateContract,
    VisaEligibilityDataset,
    WebhookWithSecret,
)

PASSWORD = "demo-pass-1447"


def check(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"FAILED: {what}")
    print(f"ok: {what}")


class Receiver(http.server.BaseHTTPRequestHandler):
    """The partner's webhook endpoint: keeps each delivery's headers and body, answers 204."""

    received: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        Receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def receiver() -> str:
    """Starts the endpoint on the loopback; answers its URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/etrack/events"


def signed_in(base: str, email: str) -> AuthenticatedClient:
    """A person's session: sign in, then send the access token as a bearer token."""
    answer = login.sync(client=Client(base_url=base), body=LoginRequest(email=email, password=PASSWORD))
    assert not isinstance(answer, ProblemDetails) and answer is not None, answer
    return AuthenticatedClient(base_url=base, token=answer.access_token)


def step(client: AuthenticatedClient, contract: uuid.UUID, action: ActOnContractAction) -> ContractView:
    answer = act_on_contract.sync(contract, action, client=client)
    assert isinstance(answer, ContractView), answer
    return answer


def main(base: str) -> None:
    ministry = signed_in(base, "ministry@demo.e-track.sa")
    provider = signed_in(base, "provider@demo.e-track.sa")
    authority = signed_in(base, "authority@demo.e-track.sa")
    office_admin = signed_in(base, "office@demo.e-track.sa")

    # The office's administrator makes a key for its system; the system sends it as X-Api-Key.
    me = get_me.sync(client=office_admin)
    assert me is not None and not isinstance(me, ProblemDetails), me
    office_id = me.organization.id
    key = create_api_key.sync(office_id, client=office_admin, body=CreateApiKey(name="national system", role=Role.OFFICER))
    assert key is not None and not isinstance(key, ProblemDetails), key
    system = AuthenticatedClient(base_url=base, token=key.key, prefix="", auth_header_name="X-Api-Key")
    check(key.key.startswith(key.prefix), "an API key for the office's system")

    # The office's admin subscribes the system's endpoint to contract and amendment events.
    contract_events = [t for t in EventType if t.value.startswith(("contract.", "amendment."))]
    hook = create_webhook.sync(
        office_id,
        client=office_admin,
        body=CreateWebhook(url=receiver(), event_types=[t.value for t in contract_events]),
    )
    assert isinstance(hook, WebhookWithSecret), hook
    check(hook.secret.startswith("whsec_"), "a webhook subscribed, its secret shown once")

    seasons = list_seasons.sync(client=system)
    assert seasons is not None and not isinstance(seasons, ProblemDetails), seasons
    season = seasons.items[0]
    buildings = list_facilities.sync(client=system, kind=FacilityKind.BUILDING, limit=200)
    assert buildings is not None and not isinstance(buildings, ProblemDetails), buildings
    building = max(buildings.items, key=lambda f: f.capacity)

    # Draft, with an idempotency key: sent twice, it is filed once.
    starts_on = season.starts_on + datetime.timedelta(days=40)
    draft = CreateHousingContract(
        season_id=season.id,
        type_=CreateHousingContractType.HOUSING,
        facility_id=building.id,
        starts_on=starts_on,
        ends_on=starts_on + datetime.timedelta(days=4),
        beds=10,
        unit_price="150.00",
        currency="SAR",
    )
    idempotency_key = str(uuid.uuid4())
    first = create_contract.sync_detailed(client=system, body=draft, idempotency_key=idempotency_key)
    again = create_contract.sync_detailed(client=system, body=draft, idempotency_key=idempotency_key)
    assert isinstance(first.parsed, ContractView) and isinstance(again.parsed, ContractView), first
    contract = first.parsed
    check(again.parsed.id == contract.id and again.headers.get("Idempotent-Replayed") == "true", "a retried creation files one contract")
    check(contract.status == ContractStatus.DRAFT, "drafted")

    # An edit names the version it was made against: the ETag read with the contract.
    read = get_contract.sync_detailed(contract.id, client=system)
    edited = update_contract.sync(contract.id, client=system, body=UpdateContract(beds=12), if_match=read.headers["ETag"])
    assert isinstance(edited, ContractView), edited
    check(edited.beds == 12 and edited.version == contract.version + 1, "edited at the version read")
    stale = update_contract.sync_detailed(contract.id, client=system, body=UpdateContract(beds=14), if_match=read.headers["ETag"])
    check(stale.status_code == 412 and isinstance(stale.parsed, ProblemDetails), "an edit against an old version is refused (412)")

    check(step(system, contract.id, ActOnContractAction.SUBMIT).status == ContractStatus.PENDING_PROVIDER, "submitted")
    check(step(provider, contract.id, ActOnContractAction.ACCEPT).status == ContractStatus.PENDING_REVIEW, "accepted by the provider")
    approved = step(ministry, contract.id, ActOnContractAction.APPROVE)
    check(approved.status == ContractStatus.APPROVED, "approved by the ministry")

    # The error case: a step that is not possible now, answered with a stable code.
    refused = act_on_contract.sync_detailed(contract.id, ActOnContractAction.SUBMIT, client=system)
    problem = refused.parsed
    assert isinstance(problem, ProblemDetails), refused
    check(refused.status_code == 409 and problem.code == ProblemDetailsCode.INVALID_TRANSITION, "submitting twice: 409 invalid_transition")
    missing = get_contract.sync_detailed(uuid.uuid4(), client=system)
    check(missing.status_code == 404 and isinstance(missing.parsed, ProblemDetails), "an unknown contract: 404")

    # An amendment: two more beds, accepted by the provider, approved by the ministry.
    amendment = propose_amendment.sync(contract.id, client=system, body=CreateAmendment(reason="two more pilgrims", beds=14))
    assert amendment is not None and not isinstance(amendment, ProblemDetails), amendment
    accepted = decide_amendment.sync(amendment.id, DecideAmendmentAction.ACCEPT, client=provider)
    assert accepted is not None and not isinstance(accepted, ProblemDetails), accepted
    done = decide_amendment.sync(amendment.id, DecideAmendmentAction.APPROVE, client=ministry, body=ReasonInput())
    assert done is not None and not isinstance(done, ProblemDetails), done
    check(done.status == AmendmentStatus.APPROVED, "the amendment approved")
    now = get_contract.sync(contract.id, client=system)
    assert isinstance(now, ContractView), now
    check(now.beds == 14 and now.version > approved.version, "the contract carries the amended terms")

    readiness = get_client_readiness.sync(season.id, office_id, client=system)
    assert readiness is not None and not isinstance(readiness, ProblemDetails), readiness
    check(readiness.coverage.housing.covered >= 0 and readiness.organization.id == office_id, "the office's readiness")

    # The change feed, followed from the start with the cursor each read hands back.
    events: list[ChangeEvent] = []
    cursor = ""
    while True:
        page = read_change_feed.sync(client=system, after=cursor, limit=50)
        assert page is not None and not isinstance(page, ProblemDetails), page
        events.extend(page.items)
        cursor = page.next_cursor
        if not page.more:
            break
    mine = [e.type_ for e in events if e.contract_id == contract.id]
    expected = [
        EventType.CONTRACT_CREATED,
        EventType.CONTRACT_EDITED,
        EventType.CONTRACT_SUBMITTED,
        EventType.CONTRACT_ACCEPTED,
        EventType.CONTRACT_APPROVED,
        EventType.AMENDMENT_PROPOSED,
        EventType.AMENDMENT_ACCEPTED,
        EventType.AMENDMENT_APPROVED,
    ]
    check(mine == expected, "the feed tells the contract's story in order")

    # The webhook got the same story, each delivery signed with the subscription's secret.
    verifier = Webhook(hook.secret)
    delivered: list[str] = []
    for _ in range(300):
        delivered = []
        for headers, body in list(Receiver.received):
            event = verifier.verify(body, headers)
            if event["contract_id"] == str(contract.id):
                delivered.append(event["type"])
        if len(delivered) >= len(expected):
            break
        time.sleep(0.1)
    check(delivered == [t.value for t in expected], f"the webhook delivered the story in order, every signature valid ({delivered}, {len(Receiver.received)} received)")

    # The foreign affairs ministry reads the visa-eligibility dataset granted to it.
    dataset = read_dataset.sync(season.id, Dataset.VISA_ELIGIBILITY, client=authority)
    assert isinstance(dataset, VisaEligibilityDataset), dataset
    check(any(row.organization_id == office_id for row in dataset.rows), "the granted dataset names the office")
    denied = read_dataset.sync_detailed(season.id, Dataset.ARRIVALS, client=authority)
    check(denied.status_code == 404, "a dataset not granted does not exist (404)")


if __name__ == "__main__":
    main(sys.argv[1])
