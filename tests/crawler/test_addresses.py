"""One definition of a public address, shared by the config, the fetch middleware and redirects.

Only the classification is tested here: nothing connects anywhere, nothing is resolved.
"""

from __future__ import annotations

import ipaddress

import pytest

from crawler.addresses import host_refusal, is_public_address, literal_address

# (address, public): each was judged differently by the config and the fetch middleware once.
ADDRESSES = [
    ("127.0.0.1", False),
    ("10.1.2.3", False),
    ("172.16.0.1", False),
    ("192.168.0.1", False),
    ("169.254.169.254", False),  # cloud metadata
    ("100.64.1.1", False),  # shared address space (carrier-grade NAT)
    ("192.0.0.9", False),  # protocol assignment; is_global changed in Python 3.12.4
    ("192.0.0.170", False),
    ("0.0.0.0", False),
    ("224.0.0.1", False),
    ("239.1.1.1", False),
    ("240.0.0.1", False),
    ("255.255.255.255", False),
    ("198.18.0.1", False),
    ("::1", False),
    ("::", False),
    ("fe80::1", False),
    ("fc00::1", False),
    ("ff02::1", False),
    ("::7f00:1", False),  # IPv4-compatible (deprecated) loopback
    ("::ffff:127.0.0.1", False),  # IPv4-mapped
    ("::ffff:10.0.0.1", False),
    ("64:ff9b::7f00:1", False),  # NAT64: 127.0.0.1 through the translator
    ("64:ff9b::a9fe:a9fe", False),  # NAT64: 169.254.169.254
    ("64:ff9b:1::5db8:d822", False),  # local-use NAT64 prefix
    ("2002:7f00:1::", False),  # 6to4 wrapping 127.0.0.1
    ("2002:a00:1::1", False),  # 6to4 wrapping 10.0.0.1
    ("2001::1", False),  # Teredo
    ("2001:db8::1", False),  # documentation
    ("93.184.216.34", True),
    ("8.8.8.8", True),
    ("2606:4700::1111", True),
    ("::ffff:93.184.216.34", True),
    ("64:ff9b::5db8:d822", True),  # NAT64: 93.184.216.34
    ("2002:5db8:d822::1", True),  # 6to4: 93.184.216.34
]


@pytest.mark.parametrize(("address", "public"), ADDRESSES, ids=[a for a, _ in ADDRESSES])
def test_is_public_address(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("2130706433", "127.0.0.1"),  # decimal
        ("0177.0.0.1", "127.0.0.1"),  # octal
        ("0x7f.0.0.1", "127.0.0.1"),  # hexadecimal
        ("0X7F.0X0.0X0.0X1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"),  # trailing dot
        ("0xa9.0376.43518", "169.254.169.254"),
        ("10.0.0.1", "10.0.0.1"),
        ("0", "0.0.0.0"),
        ("[::1]", "::1"),
        ("64:ff9b::7f00:1", "64:ff9b::7f00:1"),
    ],
)
def test_odd_spellings_are_read_as_the_resolver_reads_them(host: str, address: str) -> None:
    assert literal_address(host) == ipaddress.ip_address(address)
    assert host_refusal(host) is not None


@pytest.mark.parametrize(
    "host", ["example.org", "news.example", "1.2.3.4.5", "256.1.1.1", "08.0.0.1", "0x1g.0.0.1"]
)
def test_names_are_not_addresses(host: str) -> None:
    # Not an address in any spelling: a name for DNS (the middleware judges what it resolves to).
    assert literal_address(host) is None
    assert host_refusal(host) is None


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST", "localhost.", "api.localhost"])
def test_localhost_names_are_loopback(host: str) -> None:
    assert host_refusal(host) == f"{host} is a loopback name, not a public address"


@pytest.mark.parametrize(
    ("host", "words"),
    [
        ("2130706433", "2130706433 (127.0.0.1) is a loopback address"),
        ("100.64.1.1", "100.64.1.1 is a shared (carrier-grade NAT) address"),
        ("64:ff9b::7f00:1", "64:ff9b::7f00:1 (127.0.0.1) is a loopback address"),
        ("169.254.169.254", "is a link-local address"),
        ("192.0.0.9", "is a special-purpose address"),
    ],
)
def test_refusal_names_the_real_address_and_its_kind(host: str, words: str) -> None:
    reason = host_refusal(host)
    assert reason is not None and words in reason


def test_public_literals_are_not_refused() -> None:
    assert host_refusal("93.184.216.34") is None
    assert host_refusal("[2606:4700::1111]") is None
