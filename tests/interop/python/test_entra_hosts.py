"""Entra host names (issue 15 item 1): applications configured for Microsoft's cloud work against custos with
no code or configuration change once name resolution points Entra's names at custos and its CA is trusted.

`custos init --entra-hosts` makes a fresh data directory; then one `unshare --net --mount` (with
`--map-root-user` when not root) gives a private loopback and a private /etc/hosts mapping
login.microsoftonline.com, login.windows.net, sts.windows.net, graph.microsoft.com, manage.office.com,
management.azure.com and main.iam.ad.ext.azure.com to 127.0.0.1, and runs entra_hosts_driver.py there: it
starts `custos serve --entra-hosts` on 127.0.0.1:443 and runs DefaultAzureCredential (environment variables
only, secret and certificate), MSAL Python and MSAL Node with their default authorities, msgraph-sdk with its
defaults, a PyJWT validator trusting https://login.microsoftonline.com/{tid}/v2.0, the Azure CLI in
AzureCloud granting admin consent, and the Office 365 Management sample answering as manage.office.com on an
address of its own (127.0.0.2). The machine's own /etc/hosts is never touched.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509

import custos_server

LOGIN = "https://login.microsoftonline.com"
ENTRA_HOST_NAMES = (
    "login.microsoftonline.com",
    "login.windows.net",
    "sts.windows.net",
    "graph.microsoft.com",
    "manage.office.com",
    "management.azure.com",
    "main.iam.ad.ext.azure.com",
)
MANAGEMENT_ADDRESS = "127.0.0.2"
DRIVER = Path(__file__).with_name("entra_hosts_driver.py")
DRIVER_TIMEOUT_S = 480


def namespace_command(hosts_file: Path, driver_args: list[str]) -> list[str]:
    """`unshare` into a new network and mount namespace: loopback up, `hosts_file` bound over /etc/hosts,
    then the driver. Fails (never skips) when the tools are missing: CI has them."""
    unshare, ip = shutil.which("unshare"), shutil.which("ip")
    if unshare is None or ip is None:
        pytest.fail("unshare (util-linux) and ip (iproute2) are required for the Entra host names test", pytrace=False)
    user_namespace = [] if os.geteuid() == 0 else ["--map-root-user"]
    script = f'{ip} link set lo up && mount --bind "$0" /etc/hosts && exec "$@"'
    return [unshare, *user_namespace, "--net", "--mount", "--", "sh", "-c", script, str(hosts_file), *driver_args]


def certificate_names(data_dir: Path) -> set[str]:
    cert = x509.load_pem_x509_certificate((data_dir / "tls" / "server.pem").read_bytes())
    return set(cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName))


def test_unmodified_microsoft_clients_against_entra_host_names(tmp_path: Path) -> None:
    binary = custos_server.custos_binary()
    data_dir = tmp_path / "data"
    init = custos_server.run_init(binary, data_dir, None, ("--entra-hosts",))
    assert init["publicUrl"] == LOGIN, init
    assert init["graphBaseUrl"] == "https://graph.microsoft.com/v1.0", init
    assert certificate_names(data_dir) >= {*ENTRA_HOST_NAMES, "localhost"}
    (tmp_path / "init.json").write_text(json.dumps(init))
    hosts = tmp_path / "hosts"
    # manage.office.com has an address of its own, where the driver runs the Office 365 Management sample.
    addresses = {name: MANAGEMENT_ADDRESS if name == "manage.office.com" else "127.0.0.1" for name in ENTRA_HOST_NAMES}
    hosts.write_text("127.0.0.1 localhost\n::1 localhost\n" + "".join(f"{a} {name}\n" for name, a in addresses.items()))

    real_hosts = Path("/etc/hosts").read_bytes()
    proc = subprocess.run(
        namespace_command(hosts, [sys.executable, str(DRIVER), str(binary), str(data_dir), str(tmp_path)]),
        capture_output=True, text=True, timeout=DRIVER_TIMEOUT_S, env=custos_server.child_env(), check=False,
    )
    assert Path("/etc/hosts").read_bytes() == real_hosts, "the machine's /etc/hosts must not change"
    assert proc.returncode == 0, f"driver exited {proc.returncode}\n{proc.stderr}\n{proc.stdout}"
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    failed = {name: seen["trace"] for name, seen in report.items() if "error" in seen}
    assert not failed, "\n".join(f"--- {name} ---\n{trace}" for name, trace in failed.items()) + proc.stderr

    tid = init["tenantId"]
    v1_issuer, v2_issuer = f"https://sts.windows.net/{tid}/", f"{LOGIN}/{tid}/v2.0"
    # DefaultAzureCredential from AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET, and msgraph-sdk with
    # GraphServiceClient(credential): Graph tokens are v1 tokens from sts.windows.net, as Entra's are.
    dac = report["dac_secret"]
    assert dac["iss"] == v1_issuer
    assert {"entra-hosts-v2", "entra-hosts-daemon", "entra-hosts-cert-daemon"} <= set(dac["applications"])
    assert dac["servicePrincipals"] >= 3 and isinstance(dac["users"], list)
    assert dac["assignedTo"] == ["entra-hosts-cert-daemon", "entra-hosts-daemon"], dac
    assert dac["federatedCredentials"] == [["ci-main", "repo:contoso/app:ref:refs/heads/main"]], dac
    # The same with AZURE_CLIENT_CERTIFICATE_PATH, and a v2 resource's token.
    cert = report["dac_certificate"]
    assert cert["iss"] == v2_issuer and cert["roles"] == ["Data.Read"]
    assert "entra-hosts-v2" in cert["applications"]
    # MSAL Python and MSAL Node with https://login.microsoftonline.com/{tenant}.
    assert report["msal_python"]["iss"] == v2_issuer and report["msal_python"]["applications"] >= 3
    node = report["msal_node"]
    assert node == {"iss": v1_issuer, "aud": "https://graph.microsoft.com", "servicePrincipals": node["servicePrincipals"]}
    assert node["servicePrincipals"] >= 3
    # A validator that trusts Entra's v2 issuer and takes the keys from the discovery document.
    assert report["validator"] == {"issuer": v2_issuer, "jwks_uri": f"{LOGIN}/{tid}/discovery/v2.0/keys", "iss": v2_issuer, "ver": "2.0"}
    # Instance discovery, as MSAL asks it of login.microsoftonline.com.
    instance = report["instance_discovery"]
    assert instance["tenant_discovery_endpoint"] == f"{LOGIN}/{tid}/v2.0/.well-known/openid-configuration"
    assert instance["metadata"][0]["preferred_network"] == "login.microsoftonline.com"
    # `az ad app permission admin-consent` in AzureCloud: the application permission became an app role
    # assignment, the delegated one an AllPrincipals grant.
    az = report["azure_cli_admin_consent"]
    assert az["cloud"] == "AzureCloud"
    assert az["accounts"] == [[tid, "N/A(tenant level account)", "servicePrincipal"]], az
    assert az["assignments"] == [az["expected_assignment"]], az
    assert az["grants"] == [["AllPrincipals", "User.Read"]], az
    # manage.office.com beside serve: the Office 365 Management sample on its own address (README).
    assert report["office365_management"] == {"aud": "https://manage.office.com", "subscriptions": []}
