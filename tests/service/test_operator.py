"""The operator API (token-protected, loopback): piles registered and retired while the service
runs, the local authorisation list, calls to a pile, the security event log, and certificates
for profile-3 piles signed by the operator's CA."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from evgrid.service.clock import SystemClock
from evgrid.service.core import ChargingService
from evgrid.service.ocpp16 import Ocpp16Link
from evgrid.service.settings import ServiceConfig
from evgrid.service.status import start_status
from evgrid.service.store import Store
from evgrid.service.transport import memory_pair

TOKEN = "operator-token-0123456789"
x509 = pytest.importorskip("cryptography.x509")


class Pile:
    """A raw OCPP 1.6 pile that answers every call of the service with Accepted."""

    def __init__(self, end: Any) -> None:
        self.end = end
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.replies: asyncio.Queue[list[Any]] = asyncio.Queue()
        self.task = asyncio.ensure_future(self._read())
        self.n = 0

    async def _read(self) -> None:
        from evgrid.service.adapters import LinkClosedError

        while True:
            try:
                frame = json.loads(await self.end.recv())
            except LinkClosedError:
                return
            if frame[0] == 2:
                self.calls.append((frame[2], frame[3]))
                answer: dict[str, Any] = {"status": "Accepted"}
                if frame[2] == "GetConfiguration":
                    answer = {"configurationKey": []}
                if frame[2] == "GetCompositeSchedule":
                    answer = {"status": "Rejected"}
                if frame[2] == "UnlockConnector":
                    answer = {"status": "Unlocked"}
                await self.end.send(json.dumps([3, frame[1], answer]))
            else:
                await self.replies.put(frame)

    async def call(self, action: str, payload: dict[str, Any]) -> list[Any]:
        self.n += 1
        uid = f"c{self.n}"
        await self.end.send(json.dumps([2, uid, action, payload]))
        while True:
            frame = await asyncio.wait_for(self.replies.get(), 5.0)
            if frame[1] == uid:
                return frame


async def _http(port: int, method: str, path: str, data: Any = None, token: str | None = TOKEN):
    body = b"" if data is None else json.dumps(data).encode()
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"{method} {path} HTTP/1.1\r\nHost: x\r\n{auth}Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    await writer.drain()
    raw = await asyncio.wait_for(reader.read(), 10.0)
    writer.close()
    head, _, payload = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(payload)


def _ca(tmp: Path) -> tuple[Path, Path, Any]:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "operator CA")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (tmp / "ca.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp / "ca.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return tmp / "ca.crt", tmp / "ca.key", cert


def _csr(cn: str) -> str:
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
        .sign(key, hashes.SHA256())
    )
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def test_operator_api(site, tmp_path) -> None:  # type: ignore[no-untyped-def]
    ca_crt, ca_key, ca = _ca(tmp_path)

    async def main() -> None:
        store = Store()
        store.register("P0000")
        cfg = ServiceConfig(
            port=None,
            status_port=None,
            debounce_s=0.01,
            admin_token=TOKEN,
            client_ca=ca_crt,
            ca_key=ca_key,
        )
        svc = ChargingService(site, cfg, clock=SystemClock(), store=store)
        await svc.start()
        server = await start_status(svc, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]

        async def connect(pile_id: str) -> Pile:
            pile_end, svc_end = memory_pair()
            svc.spawn(svc.serve_link(Ocpp16Link(pile_id, svc_end, svc.gateway)))
            pile = Pile(pile_end)
            await pile.call("BootNotification", {"chargePointVendor": "v", "chargePointModel": "m"})
            return pile

        try:
            # the token is checked on every operator call
            assert (await _http(port, "GET", "/admin/piles", token=None))[0] == 401
            assert (await _http(port, "GET", "/admin/piles", token="x" * 30))[0] == 401
            # a pile registered while the service runs may connect at once
            assert not svc.known("P0007")
            code, doc = await _http(
                port, "POST", "/admin/piles", {"pile": "P0007", "security_profile": 2}
            )
            assert code == 200 and len(doc["key"]) >= 16
            assert svc.known("P0007")
            bad = await _http(port, "POST", "/admin/piles", {"pile": "../x", "max_a": 1e9})
            assert bad[0] == 400
            # the local authorisation list
            p0 = await connect("P0000")
            assert (await p0.call("Authorize", {"idTag": "anyone"}))[2]["idTagInfo"]["status"] == (
                "Accepted"  # an empty list: an open community
            )
            await _http(port, "POST", "/admin/idtags", {"accept": ["good"], "block": ["lost"]})
            status = [
                (await p0.call("Authorize", {"idTag": tag}))[2]["idTagInfo"]["status"]
                for tag in ("good", "lost", "anyone")
            ]
            assert status == ["Accepted", "Blocked", "Invalid"]
            # calls to the pile go through its queue and come back with its answer
            for path, data, action in [
                (
                    "/admin/remote-start",
                    {"pile": "P0000", "id_tag": "good"},
                    "RemoteStartTransaction",
                ),
                ("/admin/reset", {"pile": "P0000", "type": "Soft"}, "Reset"),
                ("/admin/unlock", {"pile": "P0000", "connector": 1}, "UnlockConnector"),
                (
                    "/admin/availability",
                    {"pile": "P0000", "connector": 0, "type": "Inoperative"},
                    "ChangeAvailability",
                ),
            ]:
                code, doc = await _http(port, "POST", path, data)
                want = "Unlocked" if action == "UnlockConnector" else "Accepted"
                assert code == 200 and doc["answer"] == want, (path, doc)
                assert p0.calls[-1][0] == action
            assert (await _http(port, "POST", "/admin/unlock", {"pile": "P0000", "connector": 9}))[
                0
            ] == 400
            # certificates: a CSR naming the pile is signed by the operator's CA
            answer = await p0.call("SignCertificate", {"csr": _csr("P0000")})
            assert answer[2]["status"] == "Accepted"
            for _ in range(100):
                if p0.calls[-1][0] == "CertificateSigned":
                    break
                await asyncio.sleep(0.02)
            chain = p0.calls[-1][1]["certificateChain"]
            leaf = x509.load_pem_x509_certificates(chain.encode())[0]
            assert leaf.issuer == ca.subject
            leaf.verify_directly_issued_by(ca)
            # a CSR naming another pile is refused
            assert (await p0.call("SignCertificate", {"csr": _csr("P0001")}))[2]["status"] == (
                "Rejected"
            )
            # retire: the connection closes and the pile is refused from then on
            code, _ = await _http(port, "POST", "/admin/piles/retire", {"pile": "P0000"})
            assert code == 200 and not svc.known("P0000")
            assert store.charger("P0000").retired
            code, doc = await _http(port, "GET", "/admin/security-events")
            kinds = {e["kind"] for e in doc["events"]}
            assert {
                "admin-token-refused",
                "pile-registered",
                "id-tag-refused",
                "certificate-signed",
                "csr-rejected",
                "pile-retired",
                "operator-reset",
            } <= kinds
        finally:
            await svc.stop()

    asyncio.run(main())
