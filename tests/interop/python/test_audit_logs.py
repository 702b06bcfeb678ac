"""Microsoft's Python Graph SDK (msgraph-sdk) reads custos' directory audits unchanged:
`GraphServiceClient.audit_logs.directory_audits.get()` deserialises every record of the session's
provisioning (applications, service principals, a certificate, app role grants) into its typed
models, with Entra's activity names, initiators and modified properties; a `$top`-limited page
carries an `@odata.nextLink` the SDK follows; a client without `AuditLog.Read.All` gets Graph's
403 as an `ODataError`; and no record holds a secret the session created.

`audit_logs.sign_ins.get()` deserialises custos' signIns: the v1.0 list (interactive sign-ins
only), a service principal's sign-in read by id on v1.0, and beta's `signInEventTypes` pages
read through the SDK's own models (beta's extra properties land in `additional_data`)."""

from __future__ import annotations

import asyncio
import datetime
import ssl
from urllib.parse import urlparse

import httpx
import pytest
from kiota_abstractions.authentication import (
    AccessTokenProvider,
    AllowedHostsValidator,
    BaseBearerTokenAuthenticationProvider,
)
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.audit_logs.directory_audits.directory_audits_request_builder import (
    DirectoryAuditsRequestBuilder,
)
from msgraph.generated.models.directory_audit import DirectoryAudit
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.sign_in import SignIn
from msgraph.generated.models.operation_result import OperationResult
from msgraph_core import GraphClientFactory

from graph_client import GRAPH_SCOPE, admin_token, client_credentials_token
from world import World

CERTIFICATES_ACTIVITY = "Update application \u2013 Certificates and secrets management "


class FixedToken(AccessTokenProvider):
    """Hands the SDK a token acquired beforehand, for custos' host only."""

    def __init__(self, token: str, host: str) -> None:
        self.token = token
        self.hosts = AllowedHostsValidator([host])

    async def get_authorization_token(self, uri, additional_authentication_context=None) -> str:  # noqa: ANN001
        return self.token

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return self.hosts


def graph(world: World, token: str) -> GraphServiceClient:
    """A GraphServiceClient whose base URL is custos' `/v1.0`, trusting its development CA."""
    trust = ssl.create_default_context(cafile=world.ca_path)
    http = GraphClientFactory.create_with_default_middleware(client=httpx.AsyncClient(verify=trust))
    auth = BaseBearerTokenAuthenticationProvider(FixedToken(token, urlparse(world.public_url).hostname))
    adapter = GraphRequestAdapter(auth, client=http)
    adapter.base_url = f"{world.public_url}/v1.0"
    return GraphServiceClient(request_adapter=adapter)


def top(count: int, filter_: str | None = None) -> RequestConfiguration:
    parameters = DirectoryAuditsRequestBuilder.DirectoryAuditsRequestBuilderGetQueryParameters(top=count, filter=filter_)
    return RequestConfiguration(query_parameters=parameters)


def test_every_record_deserialises_into_the_sdk_models(world: World) -> None:
    client = graph(world, admin_token(world.server.init))
    page = asyncio.run(client.audit_logs.directory_audits.get())
    records: list[DirectoryAudit] = page.value
    assert len(records) >= 10, [r.activity_display_name for r in records]
    assert page.odata_next_link is None
    for record in records:
        assert record.id.startswith("Directory_"), record.id
        assert isinstance(record.activity_date_time, datetime.datetime)
        assert record.activity_date_time.tzinfo is not None
        assert record.result == OperationResult.Success
        assert record.logged_by_service == "Core Directory"
        assert record.category and record.operation_type and record.activity_display_name
        assert (record.initiated_by.app is None) != (record.initiated_by.user is None), record.id
        assert record.target_resources, record.id
    times = [r.activity_date_time for r in records]
    assert times == sorted(times, reverse=True), "newest first"

    # The certificate the session registered by PATCH, on the certificate daemon.
    cert_app = world.cert_daemon.app
    changes = [
        r for r in records
        if r.activity_display_name == CERTIFICATES_ACTIVITY and r.target_resources[0].id == cert_app.object_id
    ]
    assert len(changes) == 1, [(r.activity_display_name, r.target_resources[0].id) for r in records]
    change = changes[0]
    assert change.category == "ApplicationManagement"
    assert change.initiated_by.app.app_id == world.server.init["adminClientId"]
    target = change.target_resources[0]
    assert target.type == "Application" and target.display_name == "interop-cert-daemon"
    keys = {p.display_name: p for p in target.modified_properties}
    assert "KeyDescription" in keys, list(keys)
    assert "KeyType=AsymmetricX509Cert" in keys["KeyDescription"].new_value

    # An app role grant names the resource as target and the grantee in its properties.
    grants = [r for r in records if r.activity_display_name == "Add app role assignment to service principal"]
    assert grants, [r.activity_display_name for r in records]
    names = [p.display_name for p in grants[0].target_resources[0].modified_properties]
    assert names[:3] == ["AppRole.Id", "AppRole.Value", "AppRole.DisplayName"], names

    # No secret the session created is in any record.
    raw = httpx.get(
        f"{world.public_url}/v1.0/auditLogs/directoryAudits",
        headers={"Authorization": f"Bearer {admin_token(world.server.init)}"},
        verify=ssl.create_default_context(cafile=world.ca_path),
    ).text
    for secret in (world.daemon.secret, world.roleless.secret, world.server.init["adminClientSecret"]):
        assert secret and secret not in raw


def test_the_sdk_follows_next_links_through_a_filter(world: World) -> None:
    builder = graph(world, admin_token(world.server.init)).audit_logs.directory_audits
    filter_ = "category eq 'ApplicationManagement' and activityDateTime ge 2020-01-01"

    async def first_two_pages_and_one_record():
        first = await builder.get(request_configuration=top(2, filter_))
        second = await builder.with_url(first.odata_next_link).get() if first.odata_next_link else None
        one = await builder.by_directory_audit_id(first.value[0].id).get()
        return first, second, one

    first, second, one = asyncio.run(first_two_pages_and_one_record())
    assert len(first.value) == 2
    assert first.odata_next_link.startswith(f"{world.public_url}/v1.0/auditLogs/directoryAudits?"), first.odata_next_link
    assert len(second.value) == 2, "the session made more than four such changes"
    assert {r.id for r in first.value}.isdisjoint(r.id for r in second.value)
    assert second.value[0].activity_date_time <= first.value[-1].activity_date_time
    assert all(r.category == "ApplicationManagement" for r in first.value + second.value)
    assert one.id == first.value[0].id and one.target_resources[0].id == first.value[0].target_resources[0].id


def test_a_client_without_audit_log_read_all_gets_graphs_403(world: World) -> None:
    token = client_credentials_token(
        world.public_url, world.tenant_id, world.roleless.app_id, world.roleless.secret, GRAPH_SCOPE, world.ca_path
    )["access_token"]
    with pytest.raises(ODataError) as refused:
        asyncio.run(graph(world, token).audit_logs.directory_audits.get())
    assert refused.value.response_status_code == 403
    assert refused.value.error.code == "Authentication_MSGraphPermissionMissing"
    assert refused.value.error.message == (
        "Calling principal does not have required MSGraph permissions AuditLog.Read.All"
    )


def test_the_sdk_reads_sign_ins(world: World) -> None:
    init = world.server.init
    # A refused and an accepted token request of the daemon, for the log to hold.
    with pytest.raises(Exception):
        client_credentials_token(
            world.public_url, world.tenant_id, world.daemon.app_id, "not-the-secret", GRAPH_SCOPE, world.ca_path
        )
    client_credentials_token(
        world.public_url, world.tenant_id, world.daemon.app_id, world.daemon.secret, GRAPH_SCOPE, world.ca_path
    )
    builder = graph(world, admin_token(init)).audit_logs.sign_ins
    kinds = "signInEventTypes/any(t: t eq 'servicePrincipal' or t eq 'managedIdentity')"
    beta = f"{world.public_url}/beta/auditLogs/signIns?$filter={kinds} and appId eq '{world.daemon.app_id}'"

    async def read():
        v1 = await builder.get()
        workloads = None
        for _ in range(50):  # the writer commits within a second
            workloads = await builder.with_url(beta).get()
            if len(workloads.value) >= 2:
                break
            await asyncio.sleep(0.1)
        one = await builder.by_sign_in_id(workloads.value[0].id).get()
        return v1, workloads, one

    v1, workloads, one = asyncio.run(read())
    assert all(record.is_interactive for record in v1.value), "v1.0 lists interactive sign-ins only"
    records: list[SignIn] = workloads.value
    assert len(records) >= 2
    codes = [r.status.error_code for r in records]
    assert 0 in codes and 7000215 in codes, codes
    for record in records:
        assert record.app_id == world.daemon.app_id
        assert isinstance(record.created_date_time, datetime.datetime)
        assert record.is_interactive is False
        assert record.service_principal_id and record.resource_id
        assert record.additional_data["signInEventTypes"] == ["servicePrincipal"]
        assert record.additional_data["clientCredentialType"] == "clientSecret"
    refused = next(r for r in records if r.status.error_code == 7000215)
    assert refused.status.failure_reason == "Invalid client secret provided."
    assert one.id == records[0].id and one.app_display_name == records[0].app_display_name
    assert "signInEventTypes" not in (one.additional_data or {}), "v1.0 rendering"
