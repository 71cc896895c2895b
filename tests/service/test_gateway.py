"""The OCPP gateway over real loopback sockets: security profiles 0, 2 (TLS + per-pile key) and
3 (mutual TLS) on their own ports, refusals in the handshake, commissioning defaults, and the
loopback status endpoint. Certificates are generated here (``cryptography``)."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
from pathlib import Path

import pytest
from websockets.exceptions import InvalidMessage

from evgrid.service.clock import SystemClock
from evgrid.service.core import ChargingService
from evgrid.service.gateway import bound_port, start_gateway
from evgrid.service.security import client_context, hash_key
from evgrid.service.settings import ServiceConfig
from evgrid.service.status import start_status
from evgrid.service.store import Store
from evgrid_sim.net import get_json, post_json, ws_connector
from evgrid_sim.piles import PileModel, SimLink16, SimLink201

x509 = pytest.importorskip("cryptography.x509")
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402


def _cert(name: str, issuer_key, issuer_name, *, ca: bool = False, server: bool = False):  # type: ignore[no-untyped-def]
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name or subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
    cert = builder.sign(issuer_key or key, hashes.SHA256())
    return key, cert


def _write(path: Path, key, cert) -> tuple[Path, Path]:  # type: ignore[no-untyped-def]
    cert_path, key_path = path.with_suffix(".crt"), path.with_suffix(".key")
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def pki(tmp_path: Path) -> dict[str, Path]:
    ca_key, ca = _cert("evgrid test CA", None, None, ca=True)
    out = {"ca": _write(tmp_path / "ca", ca_key, ca)[0]}
    key, cert = _cert("localhost", ca_key, ca.subject, server=True)
    out["server_crt"], out["server_key"] = _write(tmp_path / "server", key, cert)
    for pile in ("P3", "P9"):
        key, cert = _cert(pile, ca_key, ca.subject)
        out[f"{pile}_crt"], out[f"{pile}_key"] = _write(tmp_path / pile, key, cert)
    return out


async def _pile(url: str, pile: str, protocol: str = "ocpp1.6", **kw):  # type: ignore[no-untyped-def]
    transport = await ws_connector(url, **kw)(pile, protocol)
    model = PileModel(pile)
    cls = SimLink201 if protocol == "ocpp2.0.1" else SimLink16
    link = cls(model, transport, SystemClock().now)
    task = asyncio.ensure_future(link.start())
    await link.boot()
    return model, link, task


async def _wait(cond, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(timeout / 0.02)):
        if cond():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated")
def test_security_profiles_and_refusals(site, pki, tmp_path) -> None:  # type: ignore[no-untyped-def]
    async def main() -> None:
        store = Store(tmp_path / "svc.db")
        store.register("P0", security_profile=0)
        store.register("P2", security_profile=2, key_hash=hash_key("secret-key-of-P2-0123456789"))
        store.register("P3", security_profile=3)
        store.register("P4", security_profile=0)
        cfg = ServiceConfig(
            port=0,
            tls_port=0,
            mtls_port=0,
            status_port=None,
            certfile=pki["server_crt"],
            keyfile=pki["server_key"],
            client_ca=pki["ca"],
            debounce_s=0.05,
        )
        svc = ChargingService(site, cfg, clock=SystemClock(), store=store)
        await svc.start()
        plain, tls, mtls = (bound_port(s) for s in await start_gateway(svc))
        status = await start_status(svc, "127.0.0.1", 0)
        status_url = f"http://127.0.0.1:{status.sockets[0].getsockname()[1]}"
        ctx = client_context(pki["ca"])
        tasks = []
        try:
            # profile 0 on the plain loopback port, OCPP 1.6 and 2.0.1
            m0, _, t = await _pile(f"ws://127.0.0.1:{plain}/ocpp", "P0")
            tasks.append(t)
            m4, _, t = await _pile(f"ws://127.0.0.1:{plain}/ocpp", "P4", "ocpp2.0.1")
            tasks.append(t)
            # profile 2: TLS and the pile's own key
            m2, _, t = await _pile(
                f"wss://localhost:{tls}/ocpp",
                "P2",
                keys={"P2": "secret-key-of-P2-0123456789"},
                ssl_context=ctx,
            )
            tasks.append(t)
            # profile 3: mutual TLS, the certificate names the pile
            ctx3 = client_context(pki["ca"], pki["P3_crt"], pki["P3_key"])
            m3, _, t = await _pile(f"wss://localhost:{mtls}/ocpp", "P3", ssl_context=ctx3)
            tasks.append(t)
            # every pile gets its pile maximum, commissioning default and idle hold
            for m in (m0, m4, m2, m3):
                # the pile maximum, the commissioning default and the idle hold (stack 2)
                await _wait(lambda m=m: {("max", 0, 0), ("tx_default", 0, 2)} <= set(m.installed))
                assert ("tx_default", 0, 0) in m.installed
            await _wait(lambda: all(p.reconciled_at for p in svc.piles.values() if p.online))

            async def refused(url: str, pile: str, protocol: str = "ocpp1.6", **kw) -> str:  # type: ignore[no-untyped-def]
                with pytest.raises(Exception) as err:
                    await ws_connector(url, **kw)(pile, protocol)
                return str(err.value)

            assert "404" in await refused(f"ws://127.0.0.1:{plain}/ocpp", "NOPE")
            assert "403" in await refused(f"ws://127.0.0.1:{plain}/ocpp", "P2")  # wrong port
            assert "401" in await refused(
                f"wss://localhost:{tls}/ocpp", "P2", keys={"P2": "wrong"}, ssl_context=ctx
            )
            assert "400" in await refused(f"ws://127.0.0.1:{plain}/ocpp", "P0", "ocpp1.5")
            ctx9 = client_context(pki["ca"], pki["P9_crt"], pki["P9_key"])  # names P9, not P3
            assert "403" in await refused(f"wss://localhost:{mtls}/ocpp", "P3", ssl_context=ctx9)
            # profile 3 port without a client certificate: the TLS handshake fails (TLS 1.3
            # reports it after the handshake, as a closed connection)
            with pytest.raises((ssl.SSLError, ConnectionError, EOFError, InvalidMessage)):
                await ws_connector(f"wss://localhost:{mtls}/ocpp", ssl_context=ctx)("P3", "ocpp1.6")
            old = client_context(pki["ca"])
            old.minimum_version = old.maximum_version = ssl.TLSVersion.TLSv1_1
            with pytest.raises(ssl.SSLError):  # TLS below 1.2 is refused
                await ws_connector(f"wss://localhost:{tls}/ocpp", ssl_context=old)("P2", "ocpp1.6")

            # the loopback status endpoint
            doc = await get_json(f"{status_url}/status")
            assert doc["online"] == 4 and doc["piles"] == 4
            assert (await post_json(f"{status_url}/meter", {"site_kw": 50.0}))["ok"] is True
            answer = await post_json(f"{status_url}/declare", {"pile": "P0", "energy_kwh": 5})
            assert answer["ok"] is False  # no car plugged in
        finally:
            for t in tasks:
                t.cancel()
            await svc.stop()
            store.close()

    asyncio.run(main())


def test_remote_plain_listener_needs_consent() -> None:
    from evgrid.errors import InputError

    with pytest.raises(InputError, match="host"):
        ServiceConfig(host="0.0.0.0")
    with pytest.raises(InputError, match="certfile"):
        ServiceConfig(tls_port=9443)


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated")
def test_an_outside_simulator_connects_with_profiles_0_and_2(site, pki, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``test-ocpp`` (PyPI, an independent charge-point tester on ``websockets``) boots and sends
    a heartbeat over the plain loopback listener (profile 0) and over TLS with the pile's key
    (profile 2), in OCPP 1.6 and 2.0.1; a wrong key is refused in the handshake."""
    import sys

    pytest.importorskip("test_ocpp")

    async def main() -> None:
        store = Store(tmp_path / "svc.db")
        store.register("CP0")
        store.register("CP2", security_profile=2, key_hash=hash_key("key-of-CP2-0123456789abc"))
        cfg = ServiceConfig(
            port=0,
            tls_port=0,
            status_port=None,
            certfile=pki["server_crt"],
            keyfile=pki["server_key"],
            debounce_s=0.05,
        )
        svc = ChargingService(site, cfg, clock=SystemClock(), store=store)
        await svc.start()
        plain, tls = (bound_port(s) for s in await start_gateway(svc))

        async def tester(*args: str) -> tuple[int, str]:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "test_ocpp",
                *args,
                "--timeout",
                "10",
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
            out, _ = await asyncio.wait_for(proc.communicate(), 60)
            return int(proc.returncode or 0), out.decode()

        try:
            for version in ("1.6", "2.0.1"):
                code, out = await tester(f"ws://127.0.0.1:{plain}/ocpp", "CP0", "--ocpp", version)
                assert code == 0 and "SUCCESS" in out, out
                code, out = await tester(
                    f"wss://localhost:{tls}/ocpp",
                    "CP2",
                    "--ocpp",
                    version,
                    "--password",
                    "key-of-CP2-0123456789abc",
                    "--ca",
                    str(pki["ca"]),
                )
                assert code == 0 and "SUCCESS" in out and "TLS: TLSv1." in out, out
            code, out = await tester(
                f"wss://localhost:{tls}/ocpp", "CP2", "--password", "wrong", "--ca", str(pki["ca"])
            )
            assert code != 0 and "401" in out, out
        finally:
            await svc.stop()
            store.close()

    asyncio.run(main())
