"""moto 5.2 made cheaper where the local stack spends its CPU and memory; every answer stays what moto answers.

``local.resources`` applies it with the first table it provisions. Where the time went, and what
the patch does instead (``tests/local/test_moto_speed.py`` holds each to moto's own answer):

- **Every model instance lives forever.** moto's ``BaseModel.__new__`` appends every instance of
  every model to its class's ``instances_tracked`` list, for the ``/moto-api`` dashboard, and never
  drops one: every stream record, every copy of a received message, every copy of an item an
  UpdateItem made stayed in the process (~60 KB per certificate, the stack's whole growth).
  Patched, the list holds weak references (``LiveInstances``): the dashboard lists the instances
  that are alive, and the rest are freed.

- **Every JSON error renders XML.** moto's ``JsonRESTError`` calls its XML parent's constructor,
  which renders an XML error document with ``xmltodict``, then replaces it with the JSON one. A
  refused conditional update (the device polling a certificate not yet signed) paid for it every
  time. Patched, the JSON error sets the same attributes without rendering the XML.
- **Every UpdateItem parses its UpdateExpression twice.** The handler parses it to find the names
  and values it uses, the backend parses it again (each ~0.3 ms), though an UpdateExpression
  parses to the same tree every time and nothing changes the tree (moto's validator works on a
  deep copy of it). Patched, ``UpdateExpressionParser.make`` keeps the trees of the last
  ``EXPRESSIONS`` expressions that parsed; one that fails to parse fails as before, every time.
- **Every condition is lexed from scratch,** twice per UpdateItem and once per transaction
  condition. Patched, the lexed tokens of an expression are kept (the names and values are bound
  after lexing, per request, as before).
- **Every request lists its handler's methods.** ``BaseResponse.call_action`` asks
  ``inspect.getmembers`` for every function of the handler class (hundreds, sorted) to check that
  the action is one of them. Patched, the check is that one lookup (``MethodNames``).
- **Every validated node rebuilds the validators' tables.** moto's ``DepthFirstTraverser`` makes
  its processing map (a dict) and the tuple of node types anew for every node of every update
  expression it validates (ten traversals per UpdateItem), and checks each node against them with
  ``isinstance`` on ABCs (a call into ``abc`` each). Patched, each traverser makes them once (they
  are fixed for its life) and finds a node's processor by its type, once per type; the walk is
  moto's. The validator's deep copy of the tree copies each node as ``copy``'s default does, less
  its generic ``__reduce_ex__`` machinery.
- **A JSON answer walks the model for every member.** moto's serializer looks every member of every
  structure up under a handful of alias names (GetRecords: recursively through every image of
  every stream record; under load a third of the stack's CPU went there; ReceiveMessage next).
  Patched, an answer made of plain dicts is serialized along its output shape compiled once
  (``CompiledSerializer``), the alias lookups resolved at compile time and every leaf value put
  through the serializer's own method: the same JSON. Anything else takes moto's own path.
"""

from __future__ import annotations

import copy
import functools
import inspect
import json
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any, ClassVar

from moto.core import responses as moto_responses
from moto.core.common_models import BaseModel
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionContext, ActionResult
from moto.dynamodb.comparisons import ConditionExpressionParser
from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser, Node  # type: ignore[attr-defined]
from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]
from werkzeug.exceptions import HTTPException

EXPRESSIONS = 1024  # expressions (update and condition) whose parse is kept


def speed_up_moto() -> None:
    """Apply the patches (once per process; later calls do nothing)."""
    if getattr(JsonRESTError, "_astca_patched", False):
        return
    BaseModel.__new__ = _tracked_weakly  # type: ignore[method-assign]
    JsonRESTError.__init__ = _json_error_init  # type: ignore[method-assign]
    JsonRESTError._astca_patched = True  # type: ignore[attr-defined]
    make = UpdateExpressionParser.make.__func__
    UpdateExpressionParser.make = classmethod(_kept(make))
    lex = ConditionExpressionParser._lex_condition_expression
    ConditionExpressionParser._lex_condition_expression = _lexed(lex)  # type: ignore[method-assign,assignment]
    ActionResult.execute_result = _execute_result  # type: ignore[method-assign,assignment]
    vars(moto_responses)["method_names_from_class"] = MethodNames  # the name call_action looks up
    DepthFirstTraverser.nodes_to_be_processed = _node_types
    DepthFirstTraverser.process = _process
    DepthFirstTraverser.traverse_node_recursively = _traverse
    Node.__deepcopy__ = _node_deepcopy


class LiveInstances:
    """A model class's ``instances_tracked``: appended to and iterated like moto's list, holding weak references."""

    def __init__(self, instances: Iterable[Any] = ()) -> None:
        self._refs: list[Callable[[], Any]] = []
        self._limit = 64
        for instance in instances:
            self.append(instance)

    def append(self, instance: Any) -> None:
        """Track ``instance`` while it lives (a model without weak references is kept, as moto keeps all)."""
        try:
            ref: Callable[[], Any] = weakref.ref(instance)
        except TypeError:
            ref = functools.partial(lambda kept: kept, instance)
        self._refs.append(ref)
        if len(self._refs) > self._limit:  # drop the dead: amortized O(1) per append
            self._refs = [ref for ref in self._refs if ref() is not None]
            self._limit = max(64, 2 * len(self._refs))

    def __iter__(self) -> Iterator[Any]:
        return iter([instance for ref in self._refs if (instance := ref()) is not None])

    def __len__(self) -> int:
        return sum(1 for ref in self._refs if ref() is not None)


def _tracked_weakly(cls: type, *_args: Any, **_kwargs: Any) -> Any:
    """``BaseModel.__new__`` with the instance tracked by a weak reference."""
    instance: Any = super(BaseModel, cls).__new__(cls)  # type: ignore[misc]
    tracked = vars(cls).get("instances_tracked")
    if not isinstance(tracked, LiveInstances):  # new, or reset by moto to []
        tracked = LiveInstances(tracked or ())
        type.__setattr__(cls, "instances_tracked", tracked)
    tracked.append(instance)
    return instance


class MethodNames:
    """``method_names_from_class(clazz)`` as moto uses it (``action in ...``): the names of its functions.

    ``inspect.getmembers(clazz, inspect.isfunction)`` keeps the names under which ``getattr(clazz,
    name)`` is a function; ``in`` asks exactly that of the one name, iterating lists them all.
    """

    def __init__(self, clazz: object) -> None:
        self.clazz = clazz

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and inspect.isfunction(getattr(self.clazz, name, None))

    def __iter__(self) -> Iterator[str]:
        return iter([name for name, _ in inspect.getmembers(self.clazz, inspect.isfunction)])


@functools.cache
def _is_node(node_type: type) -> bool:
    """``isinstance(x, Node)`` by the type of x (Node is an ABC: every check is a call into ``abc``)."""
    return issubclass(node_type, Node)


def _processor(traverser: Any, node_type: type) -> Callable[[Any], Any] | None:
    """The traverser's processor of nodes of ``node_type`` (moto's order: the first class that matches), or None."""
    by_type: dict[type, Callable[[Any], Any] | None] = vars(traverser).setdefault("_astca_by_type", {})
    if node_type not in by_type:
        wanted = traverser.nodes_to_be_processed()
        processors = vars(traverser).get("_astca_processors") or list(traverser._processing_map().items())
        vars(traverser)["_astca_processors"] = processors
        matches = [processor for cls, processor in processors if issubclass(node_type, cls)]
        by_type[node_type] = matches[0] if issubclass(node_type, wanted) and matches else None
    return by_type[node_type]


def _traverse(traverser: Any, node: Any, child_id: int = -1) -> Any:
    """``DepthFirstTraverser.traverse_node_recursively``: the same walk, the type checks looked up per type."""
    node_type: type = type(node)
    if _is_node(node_type):
        parent_node = node.parent
        if node.children is not None:
            for i, child_node in enumerate(node.children):
                traverser.pre_processing_of_child(node, i)
                traverser.traverse_node_recursively(child_node, i)
        processor = _processor(traverser, node_type)
        if processor is not None:
            node = processor(node)
            node.parent = parent_node
            if parent_node:
                parent_node.children[child_id] = node
    return node


def _node_deepcopy(node: Any, memo: dict[int, Any]) -> Any:
    """``copy.deepcopy`` of an AST node as the default does it (new object, its __dict__ deep-copied), directly."""
    cls: Any = type(node)
    new = cls.__new__(cls)
    memo[id(node)] = new
    vars(new).update({key: copy.deepcopy(value, memo) for key, value in vars(node).items()})
    return new


def _node_types(traverser: Any) -> tuple[type, ...]:
    """``DepthFirstTraverser.nodes_to_be_processed``, computed once per traverser (moto: once per node)."""
    types: tuple[type, ...] | None = vars(traverser).get("_astca_types")
    if types is None:
        types = vars(traverser)["_astca_types"] = tuple(traverser._processing_map().keys())
    return types


def _process(traverser: Any, node: Any) -> Any:
    """``DepthFirstTraverser.process`` with the traverser's processing map made once (moto: once per node)."""
    processors: list[tuple[type, Callable[[Any], Any]]] | None = vars(traverser).get("_astca_processors")
    if processors is None:
        processors = vars(traverser)["_astca_processors"] = list(traverser._processing_map().items())
    for node_type, processor in processors:
        if isinstance(node, node_type):
            return processor(node)
    return None


def _json_error_init(self: JsonRESTError, error_type: str, message: str, _: str = "", **__: Any) -> None:
    """``JsonRESTError.__init__`` as moto runs it, less the XML document it renders and then drops."""
    HTTPException.__init__(self)
    self.error_type = error_type
    self.message = message
    self.description = json.dumps({"__type": self.error_type, "message": self.message})
    self.content_type = "application/json"


def _kept(make: Callable[[type, str], Any]) -> Callable[[type, str], Any]:
    """``make`` with the trees of the expressions that parsed kept (moto copies a tree before changing it)."""

    @functools.lru_cache(maxsize=EXPRESSIONS)
    def parsed(cls: type, expression: str) -> Any:
        return make(cls, expression)

    @functools.wraps(make)
    def kept(cls: type, expression: str) -> Any:
        if not isinstance(expression, str):
            return make(cls, expression)
        return parsed(cls, expression)

    return kept


def _lexed(
    lex: Callable[[ConditionExpressionParser], deque[Any]],
) -> Callable[[ConditionExpressionParser], deque[Any]]:
    """The lexer with the tokens of each expression kept; every parse gets tokens of its own."""

    @functools.lru_cache(maxsize=EXPRESSIONS)
    def tokens(expression: str) -> tuple[Any, ...]:
        parser = ConditionExpressionParser(expression, {}, {})
        return tuple(lex(parser))

    @functools.wraps(lex)
    def lexed(parser: ConditionExpressionParser) -> deque[Any]:
        expression = parser.condition_expression
        if not isinstance(expression, str):
            return lex(parser)
        return deque(token._replace(children=list(token.children)) for token in tokens(expression))

    return lexed


# JSON answers, serialized as moto's serializer does, without its per-member alias lookups.

_moto_execute_result = ActionResult.execute_result


def _execute_result(action_result: ActionResult, context: ActionContext) -> Any:
    """``ActionResult.execute_result`` for the JSON protocol through a ``CompiledSerializer``; else moto's own."""
    from moto import settings
    from moto.core.serialize import JSONSerializer, XFormedAttributePicker

    result = action_result.result
    transformers = getattr(context.response, "RESPONSE_KEY_PATH_TO_TRANSFORMER", None)
    operation: Any = context.operation_model
    if (
        context.serializer_class is not JSONSerializer
        or transformers
        or isinstance(result, Exception)
        or operation.has_event_stream_output
        or operation.output_shape is None
    ):
        return _moto_execute_result(action_result, context)
    compiled = CompiledSerializer.of(operation)
    if compiled is None:
        return _moto_execute_result(action_result, context)
    serializer = JSONSerializer(
        operation_model=operation,
        pretty_print=settings.PRETTIFY_RESPONSES,
        value_picker=XFormedAttributePicker(response_transformers=transformers),
    )
    serialized: dict[str, Any] = serializer.MAP_TYPE()
    try:
        compiled.top(serialized, result)
    except _Unsupported:
        return _moto_execute_result(action_result, context)
    response = serializer._serialized_result_to_response(
        serializer._create_default_response(), result, operation.output_shape, serialized
    )
    return response["status_code"], response["headers"], response["body"]


class _Unsupported(Exception):
    """A value the compiled serializer does not handle exactly as moto's would (moto's own then serializes it)."""


Writer = Callable[[dict[str, Any], Any, str], None]


class CompiledSerializer:
    """moto's ``JSONSerializer`` for one operation's output shape, compiled once: its own leaf methods, no lookups.

    For each structure member moto's value picker tries a list of alias names that depends only on
    the shape and, for a plain ``dict``, on nothing else: the list is made here once. Maps, lists and
    structures are walked as moto walks them, and every leaf value goes through the serializer's own
    ``_serialize_type_*`` method. A structure value that is not a plain dict (an object, whose
    aliases depend on its class) or an alias with a dot (a path) is left to moto's serializer.
    """

    _compiled: ClassVar[dict[tuple[str, str], CompiledSerializer | None]] = {}

    @classmethod
    def of(cls, operation: Any) -> CompiledSerializer | None:
        """The compiled serializer of ``operation`` (None if its shapes need moto's own)."""
        key = (str(operation.service_model.service_name), str(operation.name))
        if key not in cls._compiled:
            try:
                cls._compiled[key] = cls(operation)
            except _Unsupported:
                cls._compiled[key] = None
        return cls._compiled[key]

    def __init__(self, operation: Any) -> None:
        from moto.core.serialize import JSONSerializer, XFormedAttributePicker

        self._serializer = JSONSerializer(operation_model=operation, value_picker=XFormedAttributePicker())
        self._picker = XFormedAttributePicker()
        self._writers: dict[str, Writer] = {}
        self._structures: dict[str, list[tuple[str, tuple[str, ...], Writer]]] = {}
        output = operation.output_shape
        self._compile(output)
        self._members = self._structures[f"structure:{output.name}"]

    def top(self, serialized: dict[str, Any], value: Any) -> None:
        """The output structure's members into ``serialized`` (moto: ``_serialize(serialized, result, output, "")``)."""
        if value is None:
            return
        self._write_members(serialized, value, self._members)

    def _compile(self, shape: Any) -> Writer:
        name = f"{shape.type_name}:{shape.name}"
        if name in self._writers:
            return self._writers[name]

        def deferred(serialized: dict[str, Any], value: Any, key: str) -> None:
            self._writers[name](serialized, value, key)

        self._writers[name] = deferred  # recursive shapes (AttributeValue) refer to themselves
        if shape.type_name == "structure":
            writer = self._structure(shape, name)
        elif shape.type_name == "map":
            writer = self._map(shape)
        elif shape.type_name == "list":
            writer = self._list(shape)
        else:
            writer = self._leaf(shape)
        self._writers[name] = writer
        return writer

    def _structure(self, shape: Any, name: str) -> Writer:
        from moto.core.serialize import AttributePickerContext

        if shape.is_document_type:
            raise _Unsupported(shape.name)
        members: list[tuple[str, tuple[str, ...], Writer]] = []
        self._structures[name] = members
        for member_key, member_shape in shape.members.items():
            member_shape.parent = shape  # as moto's serializer sets it (ShapePrefixAlias reads it)
            context = AttributePickerContext(obj={}, key=member_key, shape=member_shape)
            candidates = tuple(dict.fromkeys(self._picker.get_possible_keys(context)))
            if any("." in candidate for candidate in candidates):
                raise _Unsupported(member_key)  # moto would look a dotted alias up as a path
            members.append((member_key, candidates, self._compile(member_shape)))
        serialized_name = self._serializer.get_serialized_name
        write_members = self._write_members

        def structure(serialized: dict[str, Any], value: Any, key: str) -> None:
            if value is None:
                return
            wrapper: dict[str, Any] = {}
            write_members(wrapper, value, members)
            serialized[serialized_name(shape, key)] = wrapper

        return structure

    @staticmethod
    def _write_members(
        wrapper: dict[str, Any], value: Any, members: list[tuple[str, tuple[str, ...], Writer]]
    ) -> None:
        if type(value) is not dict:
            raise _Unsupported(type(value).__name__)
        for member_key, candidates, write in members:
            for candidate in candidates:  # the keys moto's picker tries, in its order
                if candidate in value:
                    member_value = value[candidate]
                    break
            else:
                continue
            if member_value is not None:
                write(wrapper, member_value, member_key)

    def _map(self, shape: Any) -> Writer:
        write_value = self._compile(shape.value)
        serialized_name = self._serializer.get_serialized_name

        def mapping(serialized: dict[str, Any], value: Any, key: str) -> None:
            map_obj: dict[str, Any] = {}
            serialized[serialized_name(shape, key)] = map_obj
            for sub_key, sub_value in value.items():
                write_value(map_obj, sub_value, sub_key)

        return mapping

    def _list(self, shape: Any) -> Writer:
        write_item = self._compile(shape.member)
        item_key = shape.member.name
        serialized_name = self._serializer.get_serialized_name

        def listing(serialized: dict[str, Any], value: Any, key: str) -> None:
            items = []
            for item in value:
                wrapper: dict[str, Any] = {}
                write_item(wrapper, item, item_key)
                items.append(wrapper.get(item_key, item))  # what moto appends when nothing was written
            serialized[serialized_name(shape, key)] = items

        return listing

    def _leaf(self, shape: Any) -> Writer:
        serializer = self._serializer
        method = getattr(serializer, f"_serialize_type_{shape.type_name}", serializer._default_serialize)

        def leaf(serialized: dict[str, Any], value: Any, key: str) -> None:
            method(serialized, value, shape, key)

        return leaf
