"""The one resolver factory: every HTTP function answers errors as RFC 9457 problem details.

``create_app()`` gives a Powertools ``APIGatewayHttpResolver`` whose exception handlers turn
``CaError`` into ``application/problem+json`` with the catalog's status, request validation into
4001/4002/4005 (never Powertools' 422), and anything unexpected into 510500 with nothing internal
in the body. ``lambda_handler(app, needs=...)`` stacks the Logger (correlation id = API Gateway
request id) over ``app.resolve`` and, before the request is validated, authenticates the caller
against what the function declares it needs; a route receives the result as
``principal: Annotated[Principal, Depends(web.principal)]``. ``encrypted=True`` adds session
encryption (``astca.session_encryption``, loaded only by a request that asks for it).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.request import Request
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from astca import catalog
from astca.catalog import CaError, ErrorEntry
from astca.identity.principal import Needs, Principal

if TYPE_CHECKING:
    from astca.session_encryption import EncryptedExchange

PROBLEM_JSON = "application/problem+json"
JSON_CONTENT_TYPES = ("application/json", "application/problem+json")
SESSION_KEY_HEADER = "x-session-key-id"  # session encryption (astca.session_encryption)
JOSE = "application/jose"

logger = Logger()

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
    app = APIGatewayHttpResolver(enable_validation=True)

    def respond(error: CaError) -> Response[str]:
        log = logger.error if error.entry.http_status >= 500 else logger.info
        log("request failed", extra={"errorName": error.entry.name, "detail": error.detail})
        event = app.current_event
        body = problem_body(
            error.entry,
            error.detail,
            instance=event.raw_path or event.path,
            request_id=event.request_context.request_id,
        )
        return Response(
            status_code=error.entry.http_status,
            content_type=PROBLEM_JSON,
            body=json.dumps(body),
            headers=error.headers or None,
        )

    @app.exception_handler(CaError)
    def handle_ca_error(error: CaError) -> Response[str]:
        return respond(error)

    @app.exception_handler(RequestValidationError)
    def handle_validation_error(error: RequestValidationError) -> Response[str]:
        return respond(validation_problem(error.errors()))

    @app.exception_handler(Exception)
    def handle_unexpected(error: Exception) -> Response[str]:
        logger.exception("unhandled error", extra={"errorType": type(error).__name__})
        return respond(CaError(catalog.INTERNAL_ERROR, "an unexpected error occurred"))

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


def documented(status: int, description: str, model: type[BaseModel] | None = None) -> dict[int, Any]:
    """An OpenAPI ``responses`` entry for ``status``, with ``model`` as its JSON body."""
    entry: dict[str, Any] = {"description": description}
    if model is not None:
        entry["content"] = {"application/json": {"model": model}}
    return {status: entry}


def lambda_handler(
    app: APIGatewayHttpResolver,
    *,
    needs: Needs | None = None,
    idempotent: bool = False,
    encrypted: bool = False,
) -> LambdaHandler:
    """The Lambda entry point of an HTTP function: Logger context, the caller's checks, ``app.resolve``.

    ``idempotent`` functions honour ``Idempotency-Key``: the invocation's context is registered with the
    idempotency configuration, so an in-progress record expires with the invocation.
    ``encrypted`` functions also take session-encrypted requests (``astca.session_encryption``); other
    functions refuse a request with ``X-Session-Key-Id`` (510400) rather than answer it in the clear.
    """
    if encrypted and needs is None:
        raise ValueError("a session key is bound to its caller: an encrypted function declares its needs")

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
    def handle(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        if idempotent:
            from astca.storage.idempotency import CONFIG  # noqa: PLC0415 - only idempotent functions

            CONFIG.register_lambda_context(context)
        session = _session_requested(event)
        if session and encrypted and needs is not None:
            return _serve_encrypted(app, event, context, needs)
        if session == SESSION_KEY_HEADER:
            return _problem_response(
                event, CaError(catalog.BAD_REQUEST, "this operation takes no session-encrypted requests")
            )
        try:
            _check_content_type(event)
            if needs is not None:
                app.context["principal"] = _authenticate(event, needs)
        except CaError as error:
            return _problem_response(event, error)
        return app.resolve(event, context)

    return handle


def _session_requested(event: dict[str, Any]) -> str | None:
    """Which sign of session encryption a request carries: the session key header or the JOSE body type."""
    for name, value in (event.get("headers") or {}).items():
        lowered = name.lower()
        if lowered == SESSION_KEY_HEADER:
            return SESSION_KEY_HEADER
        if lowered == "content-type" and str(value).split(";")[0].strip().lower() == JOSE:
            return JOSE
    return None


def _serve_encrypted(
    app: APIGatewayHttpResolver, event: dict[str, Any], context: LambdaContext, needs: Needs
) -> dict[str, Any]:
    """Authenticate, open the session key, decrypt, resolve, encrypt; plain problems until the key is known."""
    from astca.session_encryption import EncryptedExchange  # noqa: PLC0415 - JOSE only for encrypted requests

    exchange: EncryptedExchange | None = None
    try:
        app.context["principal"] = caller = _authenticate(event, needs)
        exchange = EncryptedExchange.open(event, caller)
        event = exchange.decrypt_request(event)
        _check_content_type(event)
    except CaError as error:
        refused = _problem_response(event, error)
        return refused if exchange is None else _sealed(exchange, event, refused)
    return _sealed(exchange, event, app.resolve(event, context))


def _sealed(exchange: EncryptedExchange, event: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    """The answer encrypted under the exchange's key, or a plain 51060 EncryptionError."""
    try:
        return exchange.seal(answer)
    except CaError as error:
        return _problem_response(event, error)


def principal(request: Request) -> Principal:
    """The authenticated caller, for ``Depends``: set by ``lambda_handler`` before the route runs."""
    found = request.context.get("principal")
    if not isinstance(found, Principal):
        raise CaError(
            catalog.INTERNAL_ERROR, "the route needs a principal but its function declares no needs"
        )
    return found


def _authenticate(event: dict[str, Any], needs: Needs) -> Principal:
    from astca.identity.authenticator import authenticator  # noqa: PLC0415 - only functions with needs load it

    return authenticator().authenticate(event, needs)


def _check_content_type(event: dict[str, Any]) -> None:
    """4005 for a body that is not JSON: Powertools would otherwise parse forms and multipart too."""
    if not event.get("body"):
        return
    headers = {key.lower(): value for key, value in (event.get("headers") or {}).items()}
    content_type = headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if content_type not in JSON_CONTENT_TYPES:
        raise CaError(
            catalog.MALFORMED_BODY, f"unsupported content type '{content_type}': send application/json"
        )


def _problem_response(event: dict[str, Any], error: CaError) -> dict[str, Any]:
    """A problem response built from the raw event, for errors raised before the resolver runs."""
    log = logger.error if error.entry.http_status >= 500 else logger.info
    log("request refused", extra={"errorName": error.entry.name, "detail": error.detail})
    context = event.get("requestContext") or {}
    body = problem_body(
        error.entry,
        error.detail,
        instance=str(event.get("rawPath", "")),
        request_id=str(context.get("requestId", "")),
    )
    headers = {"Content-Type": PROBLEM_JSON, **error.headers}
    if error.entry.http_status == 401:
        headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'  # RFC 6750
    return {
        "statusCode": error.entry.http_status,
        "headers": headers,
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }
