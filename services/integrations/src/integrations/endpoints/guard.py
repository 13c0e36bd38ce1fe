"""The SSRF guard: a webhook URL must be https and resolve to public addresses only.

Checked when an endpoint is registered or changed (422) and again before every send, since a name may resolve
elsewhere later (DNS rebinding). `VCIO_WEBHOOKS_ALLOW_PRIVATE=1` lifts both checks for development."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

# Cloud metadata services: link-local or unique-local already, named so the refusal says what they are.
METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}


_KINDS = (
    ("unspecified", "an unspecified address"),
    ("loopback", "a loopback address"),
    ("multicast", "a multicast address"),
    ("link_local", "a link-local address"),
    ("reserved", "a reserved address"),
    ("private", "a private address"),
)


class UnsafeUrl(ValueError):
    """The URL may not receive webhooks; the message says why."""


def refusal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why this address may not receive webhooks, or None when it is a public one."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA:
        return "a cloud metadata address"
    for kind, phrase in _KINDS:  # the most telling first: 0.0.0.0 and ::1 are "private" too
        if getattr(address, f"is_{kind}"):
            return phrase
    if not address.is_global:
        return "not a public address"
    return None


def parse(url: str, allow_private: bool) -> tuple[str, int]:
    """The host and port of an acceptable URL's form; raises UnsafeUrl."""
    parts = urlsplit(url)
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes:
        raise UnsafeUrl("the URL must be https")
    try:
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        raise UnsafeUrl(f"the URL's port is invalid: {exc}") from None
    if not host:
        raise UnsafeUrl("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("the URL must not carry credentials")
    return host, port or (443 if parts.scheme == "https" else 80)


async def resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Every address the host resolves to (an IP literal resolves to itself)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnsafeUrl(f"the host {host!r} does not resolve") from exc
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


async def check(url: str, allow_private: bool) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Refuse (UnsafeUrl) a URL that is not https or whose host resolves to any non-public address; the
    addresses it resolves to (none when private addresses are allowed: then nothing is resolved)."""
    host, port = parse(url, allow_private)
    if allow_private:
        return []
    addresses = await resolve(host, port)
    for address in addresses:
        reason = refusal(address)
        if reason is not None:
            raise UnsafeUrl(f"{host} resolves to {address}, {reason}")
    return addresses


@dataclass(frozen=True)
class Target:
    """Where a POST goes: the URL with the checked address in place of the name, the Host header, and the name
    TLS checks the certificate against (SNI), so the connection reaches the address that was checked."""

    url: str
    headers: dict[str, str]
    extensions: dict[str, str]


def pin(url: str, address: ipaddress.IPv4Address | ipaddress.IPv6Address | None) -> Target:
    """The target of `url` at `address` (None: the URL as it is)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if address is None or host == str(address).lower():
        return Target(url, {}, {})
    literal = f"[{address}]" if address.version == 6 else str(address)
    netloc = literal if parts.port is None else f"{literal}:{parts.port}"
    host_header = host if parts.port is None else f"{host}:{parts.port}"
    return Target(urlunsplit(parts._replace(netloc=netloc)), {"host": host_header}, {"sni_hostname": host})


async def target(url: str, allow_private: bool) -> Target:
    """Check the URL (UnsafeUrl) and pin the connection to the first address checked: a name that resolves
    elsewhere a moment later (DNS rebinding) is not looked up again."""
    addresses = await check(url, allow_private)
    return pin(url, addresses[0] if addresses else None)
