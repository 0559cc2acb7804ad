"""CloudFormation intrinsic functions resolved against the physical values of locally provisioned resources.

``Resolver.resolve`` handles Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::Select, Fn::Split, Fn::If,
Fn::Not, Fn::Equals, Fn::And, Fn::Or, Condition, Fn::FindInMap and Fn::Base64, with parameter
defaults and the pseudo parameters (AWS::Region, AWS::AccountId, AWS::URLSuffix, AWS::Partition,
AWS::StackName, AWS::NoValue). A reference to something that was not provisioned locally raises
``TemplateError`` naming it, rather than resolving to a plausible-looking wrong value.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from local.template import Template, TemplateError

STACK_NAME = "astca"
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_NO_VALUE = object()


@dataclass(frozen=True)
class Physical:
    """What a provisioned resource answers to ``Ref`` and ``Fn::GetAtt``."""

    ref: str
    attributes: Mapping[str, str] = field(default_factory=dict)


def references(value: Any) -> set[str]:
    """The names that ``value`` refers to through Ref, Fn::GetAtt and Fn::Sub (pseudo parameters included)."""
    found: set[str] = set()
    if isinstance(value, Mapping):
        if len(value) == 1 and "Ref" in value:
            found.add(str(value["Ref"]))
        elif len(value) == 1 and "Fn::GetAtt" in value:
            found.add(str(value["Fn::GetAtt"][0]))
        elif len(value) == 1 and "Fn::Sub" in value:
            argument = value["Fn::Sub"]
            text, variables = (argument, {}) if isinstance(argument, str) else argument
            for name in _SUB_VARIABLE.findall(text):
                if not name.startswith("!") and name not in variables:
                    found.add(name.split(".", 1)[0])
            found |= references(variables)
        else:
            for entry in value.values():
                found |= references(entry)
    elif isinstance(value, list):
        for entry in value:
            found |= references(entry)
    return found


class Resolver:
    """Resolves intrinsic functions in template values against provisioned resources."""

    def __init__(
        self,
        template: Template,
        physical: Mapping[str, Physical],
        *,
        region: str,
        account_id: str,
        parameters: Mapping[str, Any] | None = None,
    ) -> None:
        self.template = template
        self.physical = physical
        self.parameters = {**template.parameter_defaults(), **(parameters or {})}
        self.pseudo: dict[str, Any] = {
            "AWS::Region": region,
            "AWS::AccountId": account_id,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::Partition": "aws",
            "AWS::StackName": STACK_NAME,
            "AWS::StackId": f"arn:aws:cloudformation:{region}:{account_id}:stack/{STACK_NAME}/local",
            "AWS::NotificationARNs": [],
        }

    def resolve(self, value: Any) -> Any:
        """``value`` with every intrinsic function replaced by its result."""
        resolved = self._resolve(value)
        return None if resolved is _NO_VALUE else resolved

    def condition(self, name: str) -> bool:
        """The value of a named condition of the template."""
        conditions: Mapping[str, Any] = self.template.body.get("Conditions") or {}
        if name not in conditions:
            raise TemplateError(f"unknown condition {name!r}")
        return bool(self._resolve(conditions[name]))

    def _resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [item for item in (self._resolve(entry) for entry in value) if item is not _NO_VALUE]
        if not isinstance(value, Mapping):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return self._ref(str(argument))
            if key == "Condition":
                return self.condition(str(argument))
            if str(key).startswith("Fn::"):
                return self._function(str(key), argument)
        resolved = {key: self._resolve(entry) for key, entry in value.items()}
        return {key: entry for key, entry in resolved.items() if entry is not _NO_VALUE}

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in self.pseudo:
            return self.pseudo[name]
        if name in self.parameters:
            default = self.parameters[name]
            return default if isinstance(default, list) else str(default)
        if name in self.physical:
            return self.physical[name].ref
        raise TemplateError(f"!Ref {name}: not a parameter, nor a resource provisioned locally")

    def _get_att(self, logical_id: str, attribute: str) -> str:
        physical = self.physical.get(logical_id)
        if physical is None or attribute not in physical.attributes:
            raise TemplateError(f"!GetAtt {logical_id}.{attribute}: not provisioned locally")
        return physical.attributes[attribute]

    def _function(self, name: str, argument: Any) -> Any:  # noqa: PLR0911 - one branch per function
        if name == "Fn::GetAtt":
            logical_id, attribute = self._resolve(argument)
            return self._get_att(str(logical_id), str(attribute))
        if name == "Fn::Sub":
            return self._sub(argument)
        if name == "Fn::If":
            condition, when_true, when_false = argument
            return self._resolve(when_true if self.condition(str(condition)) else when_false)
        args = self._resolve(argument)
        if name == "Fn::Join":
            separator, items = args
            return str(separator).join(str(item) for item in items)
        if name == "Fn::Select":
            index, items = args
            return items[int(index)]
        if name == "Fn::Split":
            separator, text = args
            return str(text).split(str(separator))
        if name == "Fn::Not":
            return not args[0]
        if name == "Fn::Equals":
            return str(args[0]) == str(args[1])
        if name == "Fn::And":
            return all(args)
        if name == "Fn::Or":
            return any(args)
        if name == "Fn::FindInMap":
            mapping, top, second = args
            return self.template.body["Mappings"][mapping][top][second]
        if name == "Fn::Base64":
            return base64.b64encode(str(args).encode()).decode()
        raise TemplateError(f"{name} is not supported locally")

    def _sub(self, argument: Any) -> str:
        text, variables = (argument, {}) if isinstance(argument, str) else argument
        values = {key: self._resolve(value) for key, value in variables.items()}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in values:
                return str(values[name])
            if "." in name and name not in self.pseudo:
                logical_id, attribute = name.split(".", 1)
                return self._get_att(logical_id, attribute)
            return str(self._ref(name))

        return _SUB_VARIABLE.sub(replace, str(text))
