"""Sign-in against an LDAP directory (OpenLDAP, Active Directory), on the pure-Python ldap3.

An authentication backend after Django's model backend (config/settings.py): POST auth/login
reaches it through `parley.accounts.signin`, so django-axes and the address throttle count a
wrong directory password exactly like a wrong local one. The person is found by a DN template
(`uid=%(user)s,ou=people,...`, or an AD UPN `%(user)s@example.org`) or by a search (with a
service account or anonymously), then proven by binding as them with their password. A
required group (by DN, or a filter their entry must match) is checked with their own bind.

Why not django-auth-ldap: it needs python-ldap, a C extension built against OpenLDAP's client
headers, which a machine with only Python cannot install (docs/decisions.md).
"""

from __future__ import annotations

import logging
import ssl
from typing import Any

import ldap3
from django.conf import settings
from django.contrib.auth import load_backend
from django.contrib.auth.backends import BaseBackend
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from ldap3.core import exceptions as ldap_errors
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn

from parley.accounts import sso
from parley.accounts.models import User
from parley.common.errors import ServiceError

logger = logging.getLogger(__name__)


class DirectoryUnavailable(ServiceError):
    """The directory did not answer (or answered nonsense): nobody's password was judged."""

    status = 503
    code = "directory_unavailable"


UNAVAILABLE = _("The sign-in directory is not answering; try again in a moment.")


def _server() -> ldap3.Server:
    tls = ldap3.Tls(
        validate=ssl.CERT_REQUIRED,
        ca_certs_file=settings.LDAP_CA_FILE or None,
        version=ssl.PROTOCOL_TLS_CLIENT,
    )
    return ldap3.Server(
        settings.LDAP_SERVER_URI, get_info=ldap3.NONE, tls=tls, connect_timeout=settings.LDAP_TIMEOUT
    )


def _connection(server: ldap3.Server, user: str | None, password: str | None) -> ldap3.Connection:
    """An open connection (StartTLS first when configured), bound as `user` if the password is
    right: `conn.bound` says. Raises DirectoryUnavailable when the server is away."""
    conn = ldap3.Connection(
        server,
        user=user,
        password=password,
        auto_bind=ldap3.AUTO_BIND_NONE,
        receive_timeout=settings.LDAP_TIMEOUT,
        raise_exceptions=False,
        read_only=True,
    )
    try:
        conn.open()
        if settings.LDAP_START_TLS and not conn.start_tls():
            raise ldap_errors.LDAPStartTLSError(conn.result.get("description", "StartTLS refused"))
        conn.bind()
    except ldap_errors.LDAPException as exc:
        _unavailable(exc)
    return conn


def _unavailable(exc: Exception) -> None:
    # One line, no traceback: an operator reads why, the person reads that it is not them.
    logger.warning("LDAP directory %s unavailable: %s: %s", settings.LDAP_SERVER_URI, type(exc).__name__, exc)
    raise DirectoryUnavailable(UNAVAILABLE) from None


def _attributes() -> list[str]:
    return [*settings.LDAP_ATTR_DISPLAY_NAME, settings.LDAP_ATTR_EMAIL]


def _user_dn(server: ldap3.Server, username: str) -> str | None:
    """The person's DN: from the template, or found by the search (None: no such person)."""
    template = settings.LDAP_USER_DN_TEMPLATE
    if template:
        # Escaped as a DN value; a UPN template (`%(user)s@example.org`) is no DN.
        value = escape_rdn(username) if "=" in template else username
        return str(template % {"user": value})
    conn = _connection(server, settings.LDAP_BIND_DN or None, settings.LDAP_BIND_PASSWORD or None)
    try:
        if settings.LDAP_BIND_DN and not conn.bound:
            _unavailable(RuntimeError(f"the service account was refused: {conn.result.get('description')}"))
        query = settings.LDAP_SEARCH_FILTER % {"user": escape_filter_chars(username)}
        try:
            conn.search(settings.LDAP_SEARCH_BASE, query, ldap3.SUBTREE, attributes=[], size_limit=2)
        except ldap_errors.LDAPException as exc:
            _unavailable(exc)
        entries = [e for e in conn.response or [] if e.get("type") == "searchResEntry"]
        return str(entries[0]["dn"]) if len(entries) == 1 else None
    finally:
        conn.unbind()


def _first(values: Any) -> str:
    if isinstance(values, list):
        values = values[0] if values else ""
    return values if isinstance(values, str) else ""


def _in_group(conn: ldap3.Connection, dn: str, username: str) -> bool:
    """Whether the person passes LDAP_GROUP_FILTER and belongs to LDAP_REQUIRE_GROUP (each
    when set), read with their own bind."""
    if settings.LDAP_GROUP_FILTER:
        conn.search(dn, settings.LDAP_GROUP_FILTER, ldap3.BASE, attributes=[])
        if not [e for e in conn.response or [] if e.get("type") == "searchResEntry"]:
            return False
    group = settings.LDAP_REQUIRE_GROUP
    if group:
        member = escape_filter_chars(dn)
        query = f"(|(member={member})(uniqueMember={member})(memberUid={escape_filter_chars(username)}))"
        conn.search(group, query, ldap3.BASE, attributes=[])
        if not [e for e in conn.response or [] if e.get("type") == "searchResEntry"]:
            return False
    return True


def directory_person(username: str, password: str) -> sso.Person | None:
    """The directory's account of `username` when `password` is theirs and they may sign in;
    None otherwise. Raises DirectoryUnavailable when the directory cannot say."""
    server = _server()
    dn = _user_dn(server, username)
    if dn is None:
        return None
    conn = _connection(server, dn, password)
    try:
        if not conn.bound:
            return None  # invalidCredentials (or a DN that does not exist)
        try:
            conn.search(dn, "(objectClass=*)", ldap3.BASE, attributes=_attributes())
            entries = [e for e in conn.response or [] if e.get("type") == "searchResEntry"]
            attrs = entries[0].get("attributes", {}) if entries else {}
            if not _in_group(conn, dn, username):
                logger.info("LDAP user %s is not in the required group", username)
                return None
        except ldap_errors.LDAPException as exc:
            _unavailable(exc)
    finally:
        conn.unbind()
    name = next((_first(attrs.get(a)) for a in settings.LDAP_ATTR_DISPLAY_NAME if _first(attrs.get(a))), "")
    return sso.Person(
        kind="ldap",
        issuer=sso.LDAP_ISSUER,
        subject=username.casefold(),
        username=username,
        display_name=name,
        email=_first(attrs.get(settings.LDAP_ATTR_EMAIL)),
        email_verified=True,  # the organisation's own record of the person's address
    )


class LdapBackend(BaseBackend):
    """Checks a password the model backend refused against the directory, and signs the
    directory's person in to their account (created at the first sign-in)."""

    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if not settings.LDAP_SERVER_URI or not username or not password:
            return None  # an empty password would be an anonymous bind, which always "works"
        if sso.directory_local_clash(username):
            return None  # a local account of that name: its own password, not the directory's
        person = directory_person(username, password)
        if person is None:
            return None
        try:
            user, _created = sso.directory_sign_in(
                person=person, language=translation.get_language(), on_created=self.account_created
            )
        except ServiceError:
            return None  # deactivated here: refused like a wrong password
        return user if user.is_active else None

    def account_created(self, user: User) -> None:
        """A new account's other first steps, in its creating transaction: a hook for the
        layer above the apps (parley.actions.directory puts it in the main room)."""

    def get_user(self, user_id: int) -> User | None:
        return User.objects.filter(pk=user_id, is_active=True).first()


def method_of(user: User) -> str:
    """How a password sign-in went (for the sign-in log): "ldap" when the directory checked the
    password (`authenticate` names the backend that took it), else "password"."""
    path = getattr(user, "backend", "")
    if path:
        try:
            if isinstance(load_backend(path), LdapBackend):
                return "ldap"
        except ImportError:
            pass
    return "password"
