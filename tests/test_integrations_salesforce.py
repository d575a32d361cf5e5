"""Salesforce outbound messages: SOAP in, Ack out, org/action checked, notifications deduplicated."""

from __future__ import annotations

import httpx

from tests.support.calendar import Calendar
from tests.support.integrations import create_connector, scores, set_alias
from tests.support.org import make_org, unique
from tests.support.server import RunningServer

ORG_15 = "00D5g000004ABCD"
ORG_18 = ORG_15 + "EAQ"
ACTION = "04k5g000000XYZAAA2"
OWNER = "0055g00000ABCDEAAZ"


def opportunity(
    opportunity_id: str, *, stage: str, won: bool, amount: str = "18000.0", owner: str = OWNER, note: str = ""
) -> str:
    return f"""
   <Notification>
    <Id>{unique("04l")}{note}</Id>
    <sObject xsi:type="sf:Opportunity" xmlns:sf="urn:sobject.enterprise.soap.sforce.com">
     <sf:Id>{opportunity_id}</sf:Id>
     <sf:Amount>{amount}</sf:Amount>
     <sf:CloseDate>{Calendar.from_clock().date_text(1)}</sf:CloseDate>
     <sf:IsWon>{"true" if won else "false"}</sf:IsWon>
     <sf:OwnerId>{owner}</sf:OwnerId>
     <sf:StageName>{stage}</sf:StageName>
    </sObject>
   </Notification>"""


def message(*notifications: str, organization: str = ORG_18, action: str = ACTION) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"
 xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
 <soapenv:Body>
  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
   <OrganizationId>{organization}</OrganizationId>
   <ActionId>{action}</ActionId>
   <SessionId xsi:nil="true"/>
   <EnterpriseUrl>https://example.my.salesforce.com/services/Soap/c/60.0/{organization}</EnterpriseUrl>
   <PartnerUrl>https://example.my.salesforce.com/services/Soap/u/60.0/{organization}</PartnerUrl>
   {"".join(notifications)}
  </notifications>
 </soapenv:Body>
</soapenv:Envelope>""".encode()


def post(server: RunningServer, connector: str, body: bytes) -> httpx.Response:
    return httpx.post(
        f"{server.base_url}/hooks/salesforce/{connector}",
        content=body,
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'},
        timeout=20,
    )


def setup(admin: httpx.Client) -> tuple[object, str]:
    org = make_org(admin)
    connector = create_connector(admin, "salesforce", {"organization_id": ORG_15, "action_id": ACTION})
    set_alias(admin, org, 0, {connector: OWNER})
    return org, connector


def test_an_outbound_message_scores_each_won_opportunity_and_is_acknowledged(
    server: RunningServer, admin: httpx.Client
) -> None:
    org, connector = setup(admin)
    body = message(
        opportunity(unique("006"), stage="Closed Won", won=True, amount="18000.0"),
        opportunity(unique("006"), stage="Negotiation/Review", won=False, amount="90000.0"),
        opportunity(unique("006"), stage="Closed Won", won=True, amount="2500.50"),
    )
    response = post(server, connector, body)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/xml")
    assert "<Ack>true</Ack>" in response.text and "notificationsResponse" in response.text
    assert scores(admin, org.contest)[org.reps[0]] == 18 + 2


def test_a_redelivered_message_counts_once_and_a_lost_opportunity_reverses(
    server: RunningServer, admin: httpx.Client
) -> None:
    org, connector = setup(admin)
    deal = unique("006")
    body = message(opportunity(deal, stage="Closed Won", won=True))
    assert post(server, connector, body).status_code == 200
    assert post(server, connector, body).status_code == 200  # Salesforce delivered it twice
    assert scores(admin, org.contest)[org.reps[0]] == 18
    assert post(server, connector, message(opportunity(deal, stage="Closed Lost", won=False))).status_code == 200
    assert scores(admin, org.contest)[org.reps[0]] == 0
    assert post(server, connector, message(opportunity(deal, stage="Closed Won", won=True))).status_code == 200
    assert scores(admin, org.contest)[org.reps[0]] == 18


def test_another_org_or_action_is_403_and_nothing_is_scored(server: RunningServer, admin: httpx.Client) -> None:
    org, connector = setup(admin)
    won = opportunity(unique("006"), stage="Closed Won", won=True)
    assert post(server, connector, message(won, organization="00D5g000009ZZZZ")).status_code == 403
    assert post(server, connector, message(won, action="04k5g000000AAAA")).status_code == 403
    assert scores(admin, org.contest)[org.reps[0]] == 0


def test_malformed_or_hostile_xml_is_400(server: RunningServer, admin: httpx.Client) -> None:
    org, connector = setup(admin)
    assert post(server, connector, b"<soapenv:Envelope><broken").status_code == 400
    assert post(server, connector, b"<?xml version='1.0'?><notifications/>").status_code == 400
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>&lol2;</soapenv:Body>
</soapenv:Envelope>"""
    assert post(server, connector, bomb).status_code == 400
    too_many = message(*(opportunity(unique("006"), stage="Closed Won", won=True) for _ in range(101)))
    assert post(server, connector, too_many).status_code == 400
    assert scores(admin, org.contest)[org.reps[0]] == 0
