"""What a public address is: one definition for the config, the fetch middleware and redirects.

A source URL, a link found in a feed and the target of a redirect are judged the same way: the
host is refused unless every address it names (or resolves to) is public. Without
``crawl.allow_private_addresses`` that keeps the crawler away from the network it runs in
(``127.0.0.1``, ``10.0.0.0/8``, cloud metadata at ``169.254.169.254``, carrier-grade NAT at
``100.64.0.0/10``, ...).

Public means :attr:`ipaddress.IPv4Address.is_global` (or the IPv6 one), with:

- an IPv6 address that carries an IPv4 one judged as that IPv4 address: IPv4-mapped
  ``::ffff:a.b.c.d``, NAT64 ``64:ff9b::a.b.c.d`` (``64:ff9b::7f00:1`` is 127.0.0.1 through the
  translator) and 6to4 ``2002:AABB:CCDD::/48`` (the relay delivers to the embedded address);
- multicast, reserved, unspecified, loopback, link-local and private addresses never public,
  whatever ``is_global`` says of them;
- ``192.0.0.0/24`` and ``2001::/23`` (protocol assignments: anycast relays, Teredo) and the
  local-use NAT64 prefix ``64:ff9b:1::/48`` never public, so that the answer does not depend on
  the Python release (3.12.4 and 3.13 changed ``is_global`` for some of them; no news site lives
  there).

A host is read as an IPv4 address in every spelling the system resolver accepts, as browsers
do: ``2130706433``, ``0177.0.0.1``, ``0x7f.0.0.1`` and ``127.1`` are all 127.0.0.1.
``localhost`` and ``*.localhost`` are loopback by name (RFC 6761).
"""

from __future__ import annotations

import ipaddress
import re

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_SHARED = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NEVER_PUBLIC: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = (
    ipaddress.IPv4Network("192.0.0.0/24"),
    ipaddress.IPv6Network("2001::/23"),
    ipaddress.IPv6Network("64:ff9b:1::/48"),
)
_DIGITS = {16: re.compile(r"[0-9a-fA-F]*"), 8: re.compile(r"[0-7]*"), 10: re.compile(r"[0-9]+")}


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped, NAT64 (64:ff9b::/96) or 6to4 address delivers to."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.sixtofour


def is_public_address(ip: IPAddress) -> bool:
    """True when ``ip`` is a globally routable unicast address (see the module docstring)."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = embedded_ipv4(ip)
        if inner is not None:
            return is_public_address(inner)
    if any(ip in net for net in _NEVER_PUBLIC):
        return False
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def _ipv4_part(part: str) -> int | None:
    base = 10
    if part[:2] in ("0x", "0X"):
        part, base = part[2:], 16
    elif len(part) > 1 and part.startswith("0"):
        part, base = part[1:], 8
    if not _DIGITS[base].fullmatch(part):
        return None
    return int(part, base) if part else 0


def _ipv4(host: str) -> ipaddress.IPv4Address | None:
    """``host`` read as inet_aton(3) and the WHATWG URL parser read it: one to four dot-separated
    decimal, octal (leading 0) or hexadecimal (0x) numbers, the last filling the remaining bytes."""
    parts = host.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()  # a trailing dot
    if not 1 <= len(parts) <= 4:
        return None
    numbers = [_ipv4_part(part) for part in parts]
    if any(n is None for n in numbers):
        return None
    *leading, last = [n for n in numbers if n is not None]
    if any(n > 255 for n in leading) or last >= 256 ** (5 - len(numbers)):
        return None
    value = last
    for i, n in enumerate(leading):
        value += n << (8 * (3 - i))
    return ipaddress.IPv4Address(value)


def literal_address(host: str) -> IPAddress | None:
    """The address a URL's host spells out (``[::1]``, ``0x7f.0.0.1``, ...), None for a name."""
    host = host.strip().removeprefix("[").removesuffix("]")
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            return None
    return _ipv4(host)


def is_localhost_name(host: str) -> bool:
    """``localhost`` and its subdomains, which resolve to loopback without asking DNS."""
    host = host.strip().lower().rstrip(".")
    return host == "localhost" or host.endswith(".localhost")


def address_kind(ip: IPAddress) -> str:
    """A word for why ``ip`` is not public: loopback, link-local, private, ..."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = embedded_ipv4(ip)
        if inner is not None:
            return address_kind(inner)
    for kind, test in (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("shared (carrier-grade NAT)", ip in _SHARED),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
    ):
        if test:
            return kind
    return "special-purpose" if not is_public_address(ip) else "public"


def host_refusal(host: str) -> str | None:
    """Why ``host`` is not public, judged from its spelling alone, or None.

    None means a public address literal or a name that is not ``localhost``: a name must still
    be resolved, and each address it resolves to judged with :func:`is_public_address`.
    """
    if is_localhost_name(host):
        return f"{host} is a loopback name, not a public address"
    ip = literal_address(host)
    if ip is not None and not is_public_address(ip):
        inner = embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
        shown = inner or ip
        spelled = "" if str(shown) == host.strip("[]").lower() else f" ({shown})"
        kind = address_kind(ip)
        article = "an" if kind[0] in "aeiou" else "a"
        return f"{host}{spelled} is {article} {kind} address, not a public one"
    return None
