#!/usr/bin/env python3
"""The 422 answers FastAPI (pydantic v2) gives for Part 2's parameters, declared as the
contract declares them and in the order this API declares them, for the edge tests' expected
bodies: crates/http/tests/edge/fastapi-422s.tsv is its output, and the edge tests expect
exactly those bodies from this API.

Run by hand with FastAPI installed (`pip install fastapi httpx`):

    scripts/fastapi-422s.py > crates/http/tests/edge/fastapi-422s.tsv
    scripts/fastapi-422s.py URI...     # these only

One `URI<TAB>STATUS<TAB>BODY` a line.

Only the cursor is this API's own (FastAPI cannot know a cursor): it is declared as plain
text here, and the tests of cursors do not come from this script.
"""

import json
import sys
from datetime import datetime
from typing import Literal
from uuid import UUID

from fastapi import FastAPI, Query
from fastapi.testclient import TestClient

app = FastAPI()

Order = Literal["asc", "desc"]
Role = Literal["owner", "admin", "member", "viewer"]


def Limit():
    return Query(50, ge=1, le=200)


def Prefix():
    return Query(None, min_length=1, max_length=200)


@app.get("/v1/admin/platform/users")
def users(limit: int = Limit(), order: Order = "asc", cursor: str | None = None,
          include_total: bool = False,
          email: str | None = Query(None, min_length=1, max_length=254),
          email_prefix: str | None = Prefix(), is_active: bool | None = None):
    return {}


@app.get("/v1/admin/platform/organizations")
def organizations(limit: int = Limit(), order: Order = "asc", cursor: str | None = None,
                  include_total: bool = False,
                  slug: str | None = Query(None, min_length=1, max_length=63),
                  name_prefix: str | None = Prefix(), is_platform: bool | None = None):
    return {}


@app.get("/v1/admin/platform/workspaces")
def workspaces(limit: int = Limit(), order: Order = "asc", cursor: str | None = None,
               include_total: bool = False, organization_id: UUID | None = None,
               name_prefix: str | None = Prefix()):
    return {}


@app.get("/v1/admin/platform/organizations/{organization_id}/members")
def members(organization_id: UUID, limit: int = Limit(), order: Order = "asc",
            cursor: str | None = None, include_total: bool = False, role: Role | None = None):
    return {}


@app.get("/v1/admin/platform/users/{user_id}/memberships")
def memberships(user_id: UUID, limit: int = Limit(), order: Order = "asc",
                cursor: str | None = None, include_total: bool = False,
                role: Role | None = None):
    return {}


@app.get("/v1/admin/platform/users/{user_id}")
def user(user_id: UUID):
    return {}


@app.get("/v1/admin/platform/organizations/{organization_id}")
def organization(organization_id: UUID):
    return {}


@app.get("/v1/admin/platform/workspaces/{workspace_id}")
def workspace(workspace_id: UUID):
    return {}


@app.get("/v1/admin/platform/audit-events")
def audit_events(limit: int = Limit(), order: Order = "desc", cursor: str | None = None,
                 include_total: bool = False,
                 action: str | None = Query(None, min_length=1, max_length=64),
                 actor_user_id: UUID | None = None, target_id: UUID | None = None,
                 since: datetime | None = None, until: datetime | None = None):
    return {}


ID = "5f0c6e2a-8a43-4c2b-9d0e-3b7f1a2c4d5e"
CASES = [
    "/v1/admin/platform/users/nope",
    "/v1/admin/platform/users/123",
    "/v1/admin/platform/organizations/5f0c6e2a-8a43-4c2b-9d0e-3b7f1a2c4d5",
    "/v1/admin/platform/workspaces/5f0c6e2a-8a43-4c2b-9d0e-3b7f1a2c4d5e0",
    "/v1/admin/platform/workspaces/5f0c6e2a_8a43-4c2b-9d0e-3b7f1a2c4d5e",
    "/v1/admin/platform/users/5f0c6e2a-8a43-4c2b-9d0e-3b7f1a2c4d5e-0000",
    "/v1/admin/platform/users/%C3%A9t%C3%A9",
    "/v1/admin/platform/workspaces?organization_id=",
    "/v1/admin/platform/workspaces?organization_id=%205f0c6e2a-8a43-4c2b-9d0e-3b7f1a2c4d5e",
    "/v1/admin/platform/users?is_active=maybe",
    "/v1/admin/platform/users?is_active=",
    "/v1/admin/platform/organizations?is_platform=%20true",
    "/v1/admin/platform/users?include_total=2",
    "/v1/admin/platform/users?order=ASC",
    "/v1/admin/platform/users?order=",
    f"/v1/admin/platform/organizations/{ID}/members?role=superuser",
    f"/v1/admin/platform/users/{ID}/memberships?role=Owner",
    "/v1/admin/platform/users?email=",
    "/v1/admin/platform/users?email=" + "a" * 255,
    "/v1/admin/platform/users?email_prefix=" + "é" * 201,
    "/v1/admin/platform/organizations?slug=",
    "/v1/admin/platform/organizations?slug=" + "s" * 64,
    "/v1/admin/platform/workspaces?name_prefix=",
    "/v1/admin/platform/organizations?name_prefix=" + "n" * 201,
    "/v1/admin/platform/users?email_prefix=",
    "/v1/admin/platform/users?limit=0&order=up&include_total=nah&email=&is_active=x",
    "/v1/admin/platform/organizations/nope/members?limit=x&role=boss&order=sideways",
    "/v1/admin/platform/users/nope/memberships?include_total=maybe",
    "/v1/admin/platform/audit-events?since=yesterday",
    "/v1/admin/platform/audit-events?since=",
    "/v1/admin/platform/audit-events?until=2026-13-01",
    "/v1/admin/platform/audit-events?until=2026-02-30",
    "/v1/admin/platform/audit-events?since=2026-01-01T25:00",
    "/v1/admin/platform/audit-events?since=2026-01-01T10:00:00%2B2",
    "/v1/admin/platform/audit-events?since=0000-01-01",
    "/v1/admin/platform/audit-events?since=1e3&until=inf",
    "/v1/admin/platform/audit-events?action=&actor_user_id=nope&target_id=123",
    "/v1/admin/platform/audit-events?action=" + "a" * 65,
    "/v1/admin/platform/audit-events?order=newest&limit=500&include_total=yes",
]

client = TestClient(app)
for uri in sys.argv[1:] or CASES:
    response = client.get(uri)
    body = json.dumps(response.json(), separators=(",", ":"), ensure_ascii=False)
    print(f"{uri}\t{response.status_code}\t{body}")
