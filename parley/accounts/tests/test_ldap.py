"""POST auth/login against Debian's OpenLDAP (slapd), started by the test on a spare loopback
port with a seeded directory: a directory user signs in (their account made and put in the main
room), a wrong password is refused and counted toward the lockout, someone outside the required
group is refused, the display name and address follow the directory, a local password cannot be
set, a local account is never taken over, and a directory that is away is a clear 503."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from parley.accounts.models import ExternalLogin, User
from parley.testing.api import make_user
from parley.testing.live import free_port, refused_port, services_or_skip, unavailable

pytestmark = [pytest.mark.services, pytest.mark.django_db]

LOGIN = "/api/v1/auth/login"
BASE = "dc=example,dc=org"
ADMIN, ADMIN_PASSWORD = f"cn=admin,{BASE}", "directory-admin-secret"
BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "parley.actions.directory.DirectoryBackend",
]
SEED = f"""dn: {BASE}
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ou=people,{BASE}
objectClass: organizationalUnit
ou: people

dn: ou=groups,{BASE}
objectClass: organizationalUnit
ou: groups

dn: uid=alice,ou=people,{BASE}
objectClass: inetOrgPerson
uid: alice
cn: Alice L
sn: Liddell
displayName: Alice Liddell
mail: alice@example.org
userPassword: alice-directory-pw

dn: uid=bob,ou=people,{BASE}
objectClass: inetOrgPerson
uid: bob
cn: Bob Builder
sn: Builder
mail: bob@example.org
userPassword: bob-directory-pw

dn: uid=carol,ou=people,{BASE}
objectClass: inetOrgPerson
uid: carol
cn: Carol Outside
sn: Outside
userPassword: carol-directory-pw

dn: uid=dave,ou=people,{BASE}
objectClass: inetOrgPerson
uid: dave
cn: Dave Directory
sn: Directory
userPassword: dave-directory-pw

dn: cn=chat,ou=groups,{BASE}
objectClass: groupOfNames
cn: chat
member: uid=alice,ou=people,{BASE}
member: uid=bob,ou=people,{BASE}
member: uid=dave,ou=people,{BASE}
"""


class Slapd:
    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="parley-slapd-"))
        self.port = free_port()
        self.uri = f"ldap://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Slapd:
        (self.folder / "db").mkdir()
        conf = self.folder / "slapd.conf"
        conf.write_text(
            "\n".join(
                [
                    "include /etc/ldap/schema/core.schema",
                    "include /etc/ldap/schema/cosine.schema",
                    "include /etc/ldap/schema/inetorgperson.schema",
                    f"pidfile {self.folder}/slapd.pid",
                    "modulepath /usr/lib/ldap",
                    "moduleload back_mdb",
                    "database mdb",
                    f'suffix "{BASE}"',
                    f'rootdn "{ADMIN}"',
                    f"rootpw {ADMIN_PASSWORD}",
                    f"directory {self.folder}/db",
                    "access to attrs=userPassword by anonymous auth by * none",
                    "access to * by * read",
                    "",
                ]
            )
        )
        self.proc = subprocess.Popen(
            ["slapd", "-d", "0", "-f", str(conf), "-h", f"{self.uri}/"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 15
        while self.ldap("ldapwhoami", check=False).returncode != 0:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                said = self.proc.stderr.read() if self.proc.stderr else b""
                raise RuntimeError(f"slapd did not start: {said!r}")
            time.sleep(0.1)
        self.ldap("ldapadd", stdin=SEED)
        return self

    def ldap(self, tool: str, stdin: str = "", check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [tool, "-x", "-H", self.uri, "-D", ADMIN, "-w", ADMIN_PASSWORD],
            input=stdin,
            capture_output=True,
            text=True,
            check=check,
            timeout=10,
        )

    def modify(self, dn: str, **values: str) -> None:
        changes = "".join(f"replace: {k}\n{k}: {v}\n-\n" for k, v in values.items())
        self.ldap("ldapmodify", stdin=f"dn: {dn}\nchangetype: modify\n{changes}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="module")
def slapd() -> Iterator[Slapd]:
    services_or_skip(postgres=False, redis=False)  # in-process: any database of the services passes
    if not (shutil.which("slapd") or Path("/usr/sbin/slapd").exists()) or not shutil.which("ldapadd"):
        unavailable("Debian's slapd and ldap-utils are not installed (apt-get install slapd ldap-utils)")
    server = Slapd().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def directory(slapd: Slapd, settings: Any) -> Slapd:
    settings.LDAP_SERVER_URI = slapd.uri
    settings.LDAP_USER_DN_TEMPLATE = f"uid=%(user)s,ou=people,{BASE}"
    settings.LDAP_REQUIRE_GROUP = f"cn=chat,ou=groups,{BASE}"
    settings.LDAP_TIMEOUT = 3
    settings.AUTHENTICATION_BACKENDS = BACKENDS
    return slapd


def login(username: str, password: str, client: APIClient | None = None) -> Any:
    client = client or APIClient()
    return client.post(LOGIN, {"username": username, "password": password}, format="json")


def code_of(response: Any) -> str:
    return str(response.json()["error"]["code"])


def test_a_directory_user_signs_in_and_gets_an_account_in_the_main_room(directory: Slapd) -> None:
    client = APIClient()
    response = login("alice", "alice-directory-pw", client)
    assert response.status_code == 200, response.json()
    assert response.json()["user"]["username"] == "alice"
    assert response.json()["user"]["display_name"] == "Alice Liddell"
    assert client.get("/api/v1/me/mail").json()["email"] == "alice@example.org"
    assert client.get("/api/v1/me/mail").json()["email_verified"] is True
    rooms = client.get("/api/v1/rooms", {"joined": "true"}).json()
    assert [r["name"] for r in rooms] == ["general"]
    user = User.objects.get(username="alice")
    assert not user.has_usable_password()
    assert ExternalLogin.objects.filter(user=user, kind="ldap").count() == 1
    # The same person again: the same account (case does not matter to the directory).
    again = login("Alice", "alice-directory-pw")
    assert again.status_code == 200 and again.json()["user"]["id"] == user.pk
    assert User.objects.filter(username__iexact="alice").count() == 1


def test_a_wrong_directory_password_is_refused_and_counted(directory: Slapd, settings: Any) -> None:
    settings.AXES_FAILURE_LIMIT = 3
    wrong = [login("bob", "not-bobs-password") for _ in range(3)]
    assert [r.status_code for r in wrong] == [400, 400, 429]  # the third failure locks out
    assert code_of(wrong[0]) == "invalid_credentials"
    # Locked out by django-axes: even the right password waits now.
    assert login("bob", "bob-directory-pw").status_code == 429
    assert not User.objects.filter(username="bob").exists()


def test_someone_outside_the_required_group_is_refused(directory: Slapd, settings: Any) -> None:
    assert code_of(login("carol", "carol-directory-pw")) == "invalid_credentials"
    assert not User.objects.filter(username="carol").exists()
    settings.LDAP_REQUIRE_GROUP = ""
    settings.LDAP_GROUP_FILTER = "(mail=*)"  # carol has no address
    assert code_of(login("carol", "carol-directory-pw")) == "invalid_credentials"
    assert login("bob", "bob-directory-pw").status_code == 200


def test_the_display_name_and_address_follow_the_directory(directory: Slapd) -> None:
    dn = f"uid=bob,ou=people,{BASE}"
    client = APIClient()
    assert login("bob", "bob-directory-pw", client).json()["user"]["display_name"] == "Bob Builder"
    directory.modify(dn, displayName="Robert Builder", mail="robert@example.org")
    try:
        client = APIClient()
        assert login("bob", "bob-directory-pw", client).json()["user"]["display_name"] == "Robert Builder"
        assert client.get("/api/v1/me/mail").json()["email"] == "robert@example.org"
    finally:
        directory.modify(dn, displayName="Bob Builder", mail="bob@example.org")


def test_a_directory_account_cannot_set_a_local_password(directory: Slapd) -> None:
    client = APIClient()
    assert login("bob", "bob-directory-pw", client).status_code == 200
    change = client.post(
        "/api/v1/me/password",
        {"old_password": "bob-directory-pw", "new_password": "a long enough passphrase 42"},
        format="json",
    )
    assert change.status_code == 400 and code_of(change) == "password_managed"
    assert client.get("/api/v1/me/sign-in").json() == {
        "methods": [{"kind": "ldap", "name": ""}],
        "password_managed": True,
    }
    assert not User.objects.get(username="bob").has_usable_password()


def test_a_local_account_of_the_same_name_is_not_taken_over(directory: Slapd) -> None:
    make_user("dave")
    assert code_of(login("dave", "dave-directory-pw")) == "invalid_credentials"
    assert not ExternalLogin.objects.exists()


def test_a_search_with_a_service_account_finds_the_person(directory: Slapd, settings: Any) -> None:
    settings.LDAP_USER_DN_TEMPLATE = ""
    settings.LDAP_SEARCH_BASE = f"ou=people,{BASE}"
    settings.LDAP_SEARCH_FILTER = "(&(objectClass=inetOrgPerson)(uid=%(user)s))"
    settings.LDAP_BIND_DN, settings.LDAP_BIND_PASSWORD = ADMIN, ADMIN_PASSWORD
    assert login("alice", "alice-directory-pw").status_code == 200
    # A filter injection finds nobody (the name is escaped).
    assert code_of(login("*", "alice-directory-pw")) == "invalid_credentials"
    settings.LDAP_BIND_PASSWORD = "wrong"
    refused = login("alice", "alice-directory-pw")
    assert refused.status_code == 503 and code_of(refused) == "directory_unavailable"


def test_a_directory_that_is_away_is_a_clear_503(
    directory: Slapd, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.LDAP_SERVER_URI = f"ldap://127.0.0.1:{refused_port()}"
    with caplog.at_level("WARNING"):
        response = login("alice", "alice-directory-pw")
    assert response.status_code == 503 and code_of(response) == "directory_unavailable"
    assert "directory" in response.json()["error"]["message"]
    assert "LDAP directory" in caplog.text and "unavailable" in caplog.text
    assert all(r.exc_info is None for r in caplog.records)
    # Local accounts still sign in while the directory is away.
    make_user("local-erin", password="a long enough passphrase 42")
    assert login("local-erin", "a long enough passphrase 42").status_code == 200


def test_start_tls_the_server_does_not_offer_is_refused_not_skipped(directory: Slapd, settings: Any) -> None:
    settings.LDAP_START_TLS = True
    response = login("alice", "alice-directory-pw")
    assert response.status_code == 503 and code_of(response) == "directory_unavailable"
    assert not User.objects.filter(username="alice").exists()
