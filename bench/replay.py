"""A zero-cost AWS for the benches: botocore answered from recorded HTTP responses, KMS Sign by a local key.

``Recorder`` (botocore's ``after-call`` event) keeps every AWS answer of a real run on moto as its
raw HTTP response: status, headers and body bytes, with the operation's name. ``Replayer``
(``before-send``, the event botocore emits once a request is serialized and SigV4-signed, just
before it would go on the wire) answers each call with the next recorded response of the same
operation, so botocore still builds, signs and parses everything as it does in Lambda; only the
network and the AWS side are gone. KMS Sign is the one answer made afresh, because what is signed
may differ from the recorded message (a JWS with a new ``iat``) and astca verifies every
signature: the fake signs the request's message with the private half of the KMS key, exported
from moto's backend when the recording was made, so the signature verifies against the public key
and certificates that moto's key put into the CA records (a message it has signed before gets the
same answer again, from a dictionary). ``spent`` is the time the
fake's own handler took (the local signature included); the benches subtract it.

This module imports nothing at import time (not even ``typing``) and registers itself on botocore
only once ``botocore.handlers`` is imported (``install``): loading it before a measured import
leaves that import's cost unchanged.
"""

from __future__ import annotations

import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from types import ModuleType
    from typing import Any

# One recorded answer: (service, operation, HTTP status, headers, body).
Call = tuple[str, str, int, dict[str, str], bytes]
HANDLERS_MODULE = "botocore.handlers"


class ReplayError(RuntimeError):
    """A call the recording has no (more) answers for."""


class Recorder:
    """Keeps the raw HTTP answer of every botocore call (``after-call``) while ``on``."""

    def __init__(self) -> None:
        self.on = False
        self.calls: list[Call] = []

    def __call__(self, http_response: Any, event_name: str, **_kwargs: Any) -> None:
        """botocore's after-call handler: append the call's answer."""
        if self.on:
            _event, service, operation = event_name.split(".", 2)
            headers = {str(name).lower(): str(value) for name, value in http_response.headers.items()}
            self.calls.append(
                (service, operation, int(http_response.status_code), headers, http_response.content)
            )

    def take(self) -> list[Call]:
        """The calls recorded so far, forgetting them."""
        calls, self.calls = self.calls, []
        return calls


class _Raw:
    """The raw stream botocore reads an answer's body from."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_kwargs: Any) -> Any:
        """The body in one chunk."""
        yield self._body


class Replayer:
    """Answers botocore calls (``before-send``) from a recording; signs KMS Sign messages with local keys."""

    def __init__(
        self, keys: dict[str, bytes] | None = None, *, clock: Callable[[], float] = time.perf_counter
    ) -> None:
        self.keys = dict(keys or {})
        self.clock = clock
        self.spent = 0.0
        self.answered = 0
        self.on = True
        self.sent: list[tuple[str, bytes]] = []
        self._queues: dict[str, list[Call]] = {}
        self._private: dict[str, Any] = {}
        self._signed: dict[bytes, bytes] = {}

    def load(self, calls: list[Call]) -> None:
        """Answer the next calls with ``calls``, each operation's in their recorded order."""
        self._queues = {}
        for call in calls:
            self._queues.setdefault(f"{call[0]}.{call[1]}", []).append(call)
        for queue in self._queues.values():
            queue.reverse()
        self.spent, self.answered, self.sent = 0.0, 0, []

    def left(self) -> int:
        """How many recorded answers were not asked for."""
        return sum(len(queue) for queue in self._queues.values())

    def __call__(self, request: Any, event_name: str, **_kwargs: Any) -> Any:
        """botocore's before-send handler: the recorded answer (None while off, so the request goes on)."""
        if not self.on:
            return None
        started = self.clock()
        try:
            return self._answer(request, event_name.split(".", 1)[1])
        finally:
            self.spent += self.clock() - started

    def _answer(self, request: Any, operation: str) -> Any:
        from botocore.awsrequest import AWSResponse

        queue = self._queues.get(operation)
        if not queue:
            raise ReplayError(f"the recording has no (more) answers to {operation}")
        _, _, status, headers, body = queue.pop()
        self.answered += 1
        self.sent.append((operation, bytes(request.body or b"")))
        if operation == "kms.Sign":
            body = self._sign(request.body, body)
            headers = {**headers, "content-length": str(len(body))}
        # botocore keeps any mapping of headers (moto passes a dict too)
        return AWSResponse(request.url, status, headers, _Raw(body))  # type: ignore[arg-type]

    def _sign(self, sent: bytes, recorded: bytes) -> bytes:
        """KMS's Sign answer for the message ``sent`` asks to sign, in the shape of the ``recorded`` one."""
        import base64
        import json

        known = self._signed.get(sent)
        if known is None:
            ask = json.loads(sent)
            answer = json.loads(recorded)
            signature = sign(self._key(str(ask["KeyId"])), ask)
            answer["Signature"] = base64.b64encode(signature).decode()
            known = self._signed[sent] = json.dumps(answer).encode()
        return known

    def _key(self, key_id: str) -> Any:
        key = self._private.get(key_id)
        if key is None:
            from cryptography.hazmat.primitives.serialization import load_pem_private_key

            if key_id not in self.keys:
                raise ReplayError(f"no private key recorded for KMS key {key_id}")
            # moto made the key: skip OpenSSL's RSA consistency check (tens of ms, the fake's cost)
            key = load_pem_private_key(self.keys[key_id], password=None, unsafe_skip_rsa_key_validation=True)
            self._private[key_id] = key
        return key


def sign(key: Any, ask: dict[str, Any]) -> bytes:
    """What KMS Sign answers for ``ask`` (KeyId, Message, MessageType, SigningAlgorithm) with ``key``."""
    import base64

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, utils

    algorithm = str(ask["SigningAlgorithm"])
    bits = algorithm.rsplit("_", 1)[1]
    digest = hashes.SHA384() if bits == "384" else hashes.SHA512() if bits == "512" else hashes.SHA256()
    message = base64.b64decode(ask["Message"])
    chosen: Any = utils.Prehashed(digest) if ask.get("MessageType") == "DIGEST" else digest
    if algorithm.startswith("ECDSA_"):
        return bytes(key.sign(message, ec.ECDSA(chosen)))
    if algorithm.startswith("RSASSA_PSS_"):
        pss = padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)
        return bytes(key.sign(message, pss, chosen))
    return bytes(key.sign(message, padding.PKCS1v15(), chosen))


def moto_private_keys() -> dict[str, bytes]:
    """The private half (PEM) of every asymmetric KMS key in moto's backends, by key id, ARN and alias."""
    from cryptography.hazmat.primitives import serialization
    from moto.kms.models import kms_backends

    keys: dict[str, bytes] = {}
    for account in kms_backends.values():
        for backend in account.values():
            for key in backend.keys.values():
                inner = getattr(getattr(key, "private_key", None), "private_key", None)
                if inner is None or not hasattr(inner, "private_bytes"):
                    continue  # a symmetric key: never signs
                pem = inner.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
                keys[key.id] = keys[key.arn] = pem
                for alias in getattr(key, "aliases", {}):
                    keys[alias] = pem
    return keys


class _ThenLoader:
    """A module's own loader, then ``then(module)`` once the module has run."""

    def __init__(self, inner: Any, then: Callable[[ModuleType], None]) -> None:
        self.inner, self.then = inner, then

    def create_module(self, spec: Any) -> Any:
        """The inner loader's module."""
        return self.inner.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        """Run the module, then the hook."""
        self.inner.exec_module(module)
        self.then(module)


class _AfterImport:
    """A meta path finder that hooks one module's import and then removes itself."""

    def __init__(self, name: str, then: Callable[[ModuleType], None]) -> None:
        self.name, self.then = name, then

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        """The module's spec from the other finders, its loader wrapped (None for any other module)."""
        if name != self.name:
            return None
        sys.meta_path.remove(self)
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            spec = find(name, path, target) if find is not None else None
            if spec is not None:
                spec.loader = _ThenLoader(spec.loader, self.then)
                return spec
        return None


def install(*handlers: tuple[str, Any]) -> None:
    """Register ``(event, handler)`` pairs on every botocore session, now or once botocore is imported.

    They join ``botocore.handlers.BUILTIN_HANDLERS`` (as moto's stubber does), which each new session
    registers: install before the first client is made.
    """

    def register(module: ModuleType) -> None:
        module.BUILTIN_HANDLERS.extend(handlers)

    loaded = sys.modules.get(HANDLERS_MODULE)
    if loaded is not None:
        register(loaded)
    else:
        sys.meta_path.insert(0, _AfterImport(HANDLERS_MODULE, register))
