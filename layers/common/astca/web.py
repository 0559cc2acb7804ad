"""The HTTP functions' one edge: every function answers errors as RFC 9457 problem details.

A function imports what it needs of the layer from here (``Needs``, ``Principal``, the resolver and
handler factories, and Powertools' ``Response``, ``Depends`` and ``Query``), from ``astca.api`` (its
models) and from ``astca.services`` (its use case), and no Powertools module itself: astca is then
imported first, so Powertools' package initialisers stay lazy (``astca.lazy_packages``).

``create_app()`` gives a Powertools ``APIGatewayHttpResolver`` whose exception handlers turn
``CaError`` into ``application/problem+json`` with the catalog's status, a typed domain error that no
service claimed into its catalog entry (``astca.outcomes``: DbError, KafkaError, SignerError, with
``Retry-After`` when it is transient; 510500 otherwise), request validation into 4001/4002/4005 (never
Powertools' 422), and anything unexpected into 510500 with nothing internal in the body.
``lambda_handler(app, needs=...)`` stacks the Logger (correlation id = API Gateway request id) over
``app.resolve`` and, before the request is validated, authenticates the caller against what the
function declares it needs; a route receives the result as
``principal: Annotated[Principal, Depends(web.principal)]``. ``encrypted=True`` adds session
encryption (``astca.session_encryption``, loaded only by a request that asks for it).

One renderer, ``problem_response``, answers every failure, raised before the resolver runs or inside
it. Every 401 carries ``WWW-Authenticate`` (RFC 6750): ``Bearer error="invalid_token"`` where
authentication refused the Bearer token that was sent, plain ``Bearer`` otherwise (no token sent, or
a 401 raised later, by a service). Request headers are read one way, case-insensitively, through
Powertools' event (``request_headers``).

A body is read once, after authentication and before Powertools (``_read_body``): its media type must be
``application/json`` or ``application/*+json`` (any case; a charset other than UTF-8 is refused), its
bytes UTF-8 (base64 ones decoded first), its text one JSON object nested at most ``MAX_BODY_DEPTH``
deep with no number beyond what JSON and Python carry; anything else is 4005. The resolver then gets
the text under ``application/json`` and the object already parsed (``_json_body``). Nothing raised
before the resolver runs escapes: what is not a ``CaError`` is logged and answered 510500.
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.request import Request
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.data_classes.api_gateway_proxy_event import APIGatewayProxyEventV2
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from astca import catalog
from astca.catalog import CaError, ErrorEntry
from astca.domain.errors import DomainError
from astca.identity.principal import Needs, Principal
from astca.outcomes import catalog_error

if TYPE_CHECKING:
    from astca.session_encryption import EncryptedExchange

__all__ = [
    "IDEMPOTENCY_KEY_HEADER",
    "JOSE",
    "JSON",
    "MAX_BODY_DEPTH",
    "PROBLEM_JSON",
    "SESSION_KEY_HEADER",
    "CaError",
    "Depends",
    "LambdaHandler",
    "Needs",
    "Principal",
    "Query",
    "Response",
    "binary_response",
    "create_app",
    "documented",
    "json_response",
    "lambda_handler",
    "principal",
    "problem_body",
    "problem_response",
    "request_headers",
    "validation_problem",
]

PROBLEM_JSON = "application/problem+json"
JSON = "application/json"
MAX_BODY_DEPTH = 16  # objects and arrays inside one another; the deepest body of the API has 3
SESSION_KEY_HEADER = "x-session-key-id"  # session encryption (astca.session_encryption)
IDEMPOTENCY_KEY_HEADER = "idempotency-key"  # a request made once per key (astca.storage.idempotency)
JOSE = "application/jose"
BEARER = "Bearer"  # RFC 6750's challenge where no token was sent, or the token is not what failed
INVALID_TOKEN = 'Bearer error="invalid_token"'  # noqa: S105 - a challenge (RFC 6750), not a secret

# Any application/<subtype>+json (RFC 6839), lower-cased; the subtype is an RFC 9110 token.
_JSON_SUFFIX = re.compile(r"application/[!#$%&'*+.^_`|~0-9a-z-]+\+json")
_NOT_JSON = "the body is not valid JSON"
_UNEXPECTED = "an unexpected error occurred"

logger = Logger()

# The body lambda_handler parsed, keyed by its very text, for Powertools' deserializer (_json_body).
_parsed_body: ContextVar[tuple[str, dict[str, Any]] | None] = ContextVar("astca_parsed_body", default=None)

LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def problem_body(entry: ErrorEntry, detail: str, *, instance: str, request_id: str) -> dict[str, object]:
    """The RFC 9457 problem document of a catalog entry, with the catalog's own fields."""
    return {
        "type": entry.type_uri,
        "title": entry.name,
        "status": entry.http_status,
        "detail": detail,
        "instance": instance,
        "subsystem": catalog.SUBSYSTEM,
        "errorCode": entry.error_code,
        "name": entry.name,
        "code": entry.code,
        "requestId": request_id,
    }


def problem_response(event: Mapping[str, Any], error: CaError) -> Response[str]:
    """The answer to a failed request: its problem document, the catalog's status, the error's headers.

    ``event`` is the request's raw event (its path and request id go into the body). A 401 that does
    not name its challenge gets plain ``WWW-Authenticate: Bearer``.
    """
    log = logger.error if error.entry.http_status >= 500 else logger.info
    log("request failed", extra={"errorName": error.entry.name, "detail": error.detail})
    context = event.get("requestContext") or {}
    body = problem_body(
        error.entry,
        error.detail,
        instance=str(event.get("rawPath") or ""),
        request_id=str(context.get("requestId") or ""),
    )
    headers = dict(error.headers)
    if error.entry.http_status == 401:
        headers.setdefault("WWW-Authenticate", BEARER)
    return Response(
        status_code=error.entry.http_status, content_type=PROBLEM_JSON, body=json.dumps(body), headers=headers
    )


def request_headers(event: Mapping[str, Any]) -> dict[str, str]:
    """The request's headers as Powertools reads them: a fresh dict whose every lookup ignores case."""
    return APIGatewayProxyEventV2(dict(event)).headers


def validation_problem(errors: Sequence[Mapping[str, Any]]) -> CaError:
    """Map Powertools/pydantic validation errors to MissingField, MalformedField or MalformedBody."""
    body_errors: list[str] = []
    missing: list[str] = []
    malformed: list[str] = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        kind = str(error.get("type", ""))
        where, path = (loc[0], loc[1:]) if loc else ("body", [])
        if kind in ("json_invalid", "unsupported_content_type") or (where == "body" and not path):
            body_errors.append(
                "the body must be a JSON object" if kind != "json_invalid" else "the body is not valid JSON"
            )
        elif kind == "missing":
            missing.append(f"{_describe(where, path)} is required")
        else:
            malformed.append(f"{_describe(where, path)}: {error.get('msg', 'invalid value')}")
    if body_errors:
        return CaError(catalog.MALFORMED_BODY, body_errors[0])
    if missing:
        return CaError(catalog.MISSING_FIELD, "; ".join(missing + malformed))
    return CaError(catalog.MALFORMED_FIELD, "; ".join(malformed) or "a field has a wrong format")


def _describe(where: str, path: Sequence[str]) -> str:
    name = ".".join(path)
    if where == "body":
        return f"field '{name}'"
    return f"{where} parameter '{name}'"


def create_app() -> APIGatewayHttpResolver:
    """The HTTP API resolver every function uses: validation on, every error a catalog entry."""
    app = APIGatewayHttpResolver(enable_validation=True, json_body_deserializer=_json_body)

    def respond(error: CaError) -> Response[str]:
        return problem_response(app.current_event.raw_event, error)

    @app.exception_handler(CaError)
    def handle_ca_error(error: CaError) -> Response[str]:
        return respond(error)

    @app.exception_handler(DomainError)
    def handle_domain_error(error: DomainError) -> Response[str]:
        return respond(catalog_error(error))

    @app.exception_handler(RequestValidationError)
    def handle_validation_error(error: RequestValidationError) -> Response[str]:
        return respond(validation_problem(error.errors()))

    @app.exception_handler(Exception)
    def handle_unexpected(error: Exception) -> Response[str]:
        logger.exception("unhandled error", extra={"errorType": type(error).__name__})
        return respond(CaError(catalog.INTERNAL_ERROR, _UNEXPECTED))

    @app.not_found
    def handle_not_found(_: Exception) -> Response[str]:
        event = app.current_event
        return respond(CaError(catalog.BAD_REQUEST, f"no route for {event.http_method} {event.path}"))

    return app


def json_response(
    model: BaseModel, *, status: int, headers: Mapping[str, str] | None = None
) -> Response[str]:
    """A JSON answer with a status other than 200 (Powertools leaves a model body in a Response unencoded)."""
    return Response(
        status_code=status,
        content_type="application/json",
        body=model.model_dump_json(by_alias=True),
        headers=dict(headers or {}),
    )


def binary_response(
    body: bytes, *, content_type: str, headers: Mapping[str, str] | None = None
) -> Response[str]:
    """A 200 answer of raw bytes: base64 and flagged so (Powertools' response validation would decode bytes as UTF-8)."""
    response: Response[str] = Response(
        status_code=200,
        content_type=content_type,
        body=base64.b64encode(body).decode("ascii"),
        headers=dict(headers or {}),
    )
    response.base64_encoded = True
    return response


def documented(
    status: int, description: str, model: type[BaseModel] | None = None, *, binary: str | None = None
) -> dict[int, Any]:
    """An OpenAPI ``responses`` entry for ``status``, with ``model`` as its JSON body or a ``binary`` media type's bytes."""
    entry: dict[str, Any] = {"description": description}
    if model is not None:
        entry["content"] = {"application/json": {"model": model}}
    elif binary is not None:
        entry["content"] = {binary: {"schema": {"type": "string", "format": "binary"}}}
    return {status: entry}


def lambda_handler(
    app: APIGatewayHttpResolver,
    *,
    needs: Needs | None = None,
    idempotent: bool = False,
    encrypted: bool = False,
) -> LambdaHandler:
    """The Lambda entry point of an HTTP function: Logger context, the caller's checks, ``app.resolve``.

    ``idempotent`` functions honour ``Idempotency-Key``: the context of an invocation that sends it is
    registered with the idempotency configuration, so an in-progress record expires with the invocation.
    ``encrypted`` functions also take session-encrypted requests (``astca.session_encryption``); other
    functions refuse a request with ``X-Session-Key-Id`` (510400) rather than answer it in the clear.
    """
    if encrypted and needs is None:
        raise ValueError("a session key is bound to its caller: an encrypted function declares its needs")

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
    def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        exchange: EncryptedExchange | None = None
        try:
            _register(event, context, idempotent=idempotent)
            session = _session_requested(event)
            if session == SESSION_KEY_HEADER and not encrypted:
                raise CaError(catalog.BAD_REQUEST, "this operation takes no session-encrypted requests")
            caller = None if needs is None else _authenticate(event, needs)
            app.context["principal"] = caller
            if session and encrypted and caller is not None:
                exchange = _open_exchange(event, caller)
                event = exchange.decrypt_request(event)
            event, body = _read_body(event)
        except Exception as error:
            if not isinstance(error, CaError):
                logger.exception(
                    "request failed before it was resolved", extra={"errorType": type(error).__name__}
                )
            refused = _proxy_response(problem_response(event, _as_ca_error(error)))
            return refused if exchange is None else _sealed(exchange, event, refused)
        answer = _resolve(app, event, context, body)
        return answer if exchange is None else _sealed(exchange, event, answer)

    return handle


def _register(event: dict[str, Any], context: LambdaContext, *, idempotent: bool) -> None:
    """Register the invocation with the idempotency configuration, if it sends ``Idempotency-Key``.

    Only such requests use it, so only they load Powertools Idempotency.
    """
    if idempotent and IDEMPOTENCY_KEY_HEADER in request_headers(event):
        from astca.storage.idempotency import CONFIG  # noqa: PLC0415 - only requests with an Idempotency-Key

        CONFIG.register_lambda_context(context)


def _resolve(
    app: APIGatewayHttpResolver,
    event: dict[str, Any],
    context: LambdaContext,
    body: tuple[str, dict[str, Any]] | None,
) -> dict[str, Any]:
    """``app.resolve`` with the body ``_read_body`` parsed at hand for ``_json_body``."""
    token = _parsed_body.set(body)
    try:
        return app.resolve(event, context)
    finally:
        _parsed_body.reset(token)


def _session_requested(event: dict[str, Any]) -> str | None:
    """Which sign of session encryption a request carries: the session key header or the JOSE body type."""
    headers = request_headers(event)
    if SESSION_KEY_HEADER in headers:
        return SESSION_KEY_HEADER
    if _media_type(str(headers.get("content-type", ""))) == JOSE:
        return JOSE
    return None


def _media_type(content_type: str) -> str:
    """The media type of a Content-Type value, lower-cased, without its parameters."""
    return content_type.partition(";")[0].strip().lower()


def _open_exchange(event: dict[str, Any], caller: Principal) -> EncryptedExchange:
    """The caller's session named by the request (5104036, 5104037): the JOSE library loads only here."""
    from astca.session_encryption import EncryptedExchange  # noqa: PLC0415 - JOSE only for encrypted requests

    return EncryptedExchange.open(event, caller)


def _sealed(exchange: EncryptedExchange, event: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    """The answer encrypted under the exchange's key, or a plain 51060 EncryptionError (510500 if unexpected)."""
    try:
        return exchange.seal(answer)
    except Exception as error:
        if not isinstance(error, CaError):
            logger.exception("the answer could not be sealed", extra={"errorType": type(error).__name__})
        return _proxy_response(problem_response(event, _as_ca_error(error)))


def _as_ca_error(error: Exception) -> CaError:
    if isinstance(error, CaError):
        return error
    if isinstance(error, DomainError):
        return catalog_error(error)
    return CaError(catalog.INTERNAL_ERROR, _UNEXPECTED)


def _proxy_response(response: Response[str]) -> dict[str, Any]:
    """A rendered answer as the proxy result API Gateway takes, for answers given before the resolver runs."""
    return {
        "statusCode": response.status_code,
        "headers": dict(response.headers),
        "body": response.body,
        "isBase64Encoded": False,
    }


def principal(request: Request) -> Principal:
    """The authenticated caller, for ``Depends``: set by ``lambda_handler`` before the route runs."""
    found = request.context.get("principal")
    if not isinstance(found, Principal):
        raise CaError(
            catalog.INTERNAL_ERROR, "the route needs a principal but its function declares no needs"
        )
    return found


def _authenticate(event: dict[str, Any], needs: Needs) -> Principal:
    """The caller, checked against ``needs``; a 401 for a Bearer token that was sent says invalid_token."""
    from astca.identity.authenticator import authenticator  # noqa: PLC0415 - only functions with needs load it

    try:
        return authenticator().authenticate(event, needs)
    except CaError as error:
        if needs.token and error.entry is catalog.UNAUTHORIZED and _bearer_token_sent(event):
            challenge = {**error.headers, "WWW-Authenticate": INVALID_TOKEN}
            raise CaError(error.entry, error.detail, headers=challenge) from error
        raise


def _bearer_token_sent(event: dict[str, Any]) -> bool:
    """Whether the request sent a token as RFC 6750 says: ``Authorization: Bearer <token>``."""
    scheme, _, token = str(request_headers(event).get("authorization", "")).strip().partition(" ")
    return scheme.lower() == "bearer" and bool(token.strip())


def _read_body(event: dict[str, Any]) -> tuple[dict[str, Any], tuple[str, dict[str, Any]] | None]:
    """The event as Powertools should see it (text body, ``application/json``) and the body parsed; 4005 if not JSON."""
    body = event.get("body")
    headers = request_headers(event)
    if not body:
        if "content-type" not in headers:
            return event, None
        # No body has no media type: Powertools would refuse any but JSON with an unhandled exception.
        return {**event, "headers": {k: v for k, v in headers.items() if k.lower() != "content-type"}}, None
    _check_media_type(str(headers.get("content-type", JSON)))
    text = _text(body, encoded=bool(event.get("isBase64Encoded")))
    parsed = (text, _parse_object(text))
    headers["content-type"] = JSON  # the one Content-Type, however the request spelt its name
    return {**event, "headers": dict(headers), "body": text, "isBase64Encoded": False}, parsed


def _check_media_type(content_type: str) -> None:
    """4005 unless ``application/json`` or ``application/*+json``, in any case, in UTF-8 if a charset is named."""
    media_type, *parameters = content_type.split(";")
    media_type = _media_type(media_type)
    if media_type != JSON and not _JSON_SUFFIX.fullmatch(media_type):
        raise CaError(
            catalog.MALFORMED_BODY,
            f"unsupported content type {catalog.echo(media_type)}: send application/json",
        )
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        charset = value.strip().strip('"').lower()
        if name.strip().lower() == "charset" and charset != "utf-8":
            raise CaError(catalog.MALFORMED_BODY, f"unsupported charset {catalog.echo(charset)}: send UTF-8")


def _text(body: object, *, encoded: bool) -> str:
    """The body as UTF-8 text, base64-decoded first if the event says so (a lone surrogate is not UTF-8)."""
    try:
        if encoded:
            return base64.b64decode(str(body), validate=True).decode("utf-8")
        if isinstance(body, str):
            if not body.isascii():
                body.encode("utf-8")
            return body
    except ValueError:  # not base64 (binascii.Error, or a str of non-ASCII characters), or not UTF-8
        pass
    raise CaError(catalog.MALFORMED_BODY, "the body is not UTF-8 text")


def _parse_object(text: str) -> dict[str, Any]:
    """``text`` as one JSON object, within ``MAX_BODY_DEPTH`` and with finite numbers; 4005 otherwise."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite)
    except json.JSONDecodeError as error:
        raise CaError(catalog.MALFORMED_BODY, f"{_NOT_JSON} ({error.msg} at character {error.pos})") from None
    except RecursionError:
        raise CaError(catalog.MALFORMED_BODY, f"the body nests deeper than {MAX_BODY_DEPTH} levels") from None
    except ValueError:  # an integer of more digits than int() takes, NaN, Infinity, or beyond a double
        raise CaError(catalog.MALFORMED_BODY, f"{_NOT_JSON}: a number is out of range") from None
    if not isinstance(value, dict):
        raise CaError(catalog.MALFORMED_BODY, "the body must be a JSON object")
    _check_values(value)
    return value


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("a number beyond a double")
    return number


def _check_values(document: dict[str, Any]) -> None:
    """4005 for nesting deeper than ``MAX_BODY_DEPTH`` and for strings with lone surrogates (``"\\ud800"``)."""
    pending: list[tuple[dict[str, Any] | list[Any], int]] = [(document, 1)]
    while pending:
        container, depth = pending.pop()
        if depth > MAX_BODY_DEPTH:
            raise CaError(catalog.MALFORMED_BODY, f"the body nests deeper than {MAX_BODY_DEPTH} levels")
        values = [*container, *container.values()] if isinstance(container, dict) else container
        for value in values:
            if isinstance(value, dict | list):
                pending.append((value, depth + 1))
            elif isinstance(value, str) and not value.isascii():
                _text(value, encoded=False)


def _json_body(text: str) -> dict[str, Any]:
    """Powertools' JSON deserializer: the object ``lambda_handler`` parsed from this very text, else ``text`` parsed."""
    parsed = _parsed_body.get()
    if parsed is not None and parsed[0] is text:
        return parsed[1]
    return _parse_object(text)
