"""The SSRF guard: a webhook URL must be https and resolve to public addresses only.

Checked when an endpoint is registered or changed (422) and again before every send, since a name may resolve
elsewhere later (DNS rebinding). `VCIO_WEBHOOKS_ALLOW_PRIVATE=1` lifts both checks for development."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

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


async def check(url: str, allow_private: bool) -> None:
    """Refuse (UnsafeUrl) a URL that is not https or whose host resolves to any non-public address."""
    host, port = parse(url, allow_private)
    if allow_private:
        return
    for address in await resolve(host, port):
        reason = refusal(address)
        if reason is not None:
            raise UnsafeUrl(f"{host} resolves to {address}, {reason}")
