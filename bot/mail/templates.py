"""A campaign's subject and body with merge fields ({{ name }}, {{ company }} …), checked
once when written and rendered per customer in Jinja2's sandbox.

The sandbox (SandboxedEnvironment, Jinja2 >= 3.1.6 for its fixes to format-string and
attribute escapes) is the second wall. The first is narrower: a template may hold text,
the merge fields below, `{% if field %}…{% else %}…{% endif %}`, and the filters
`default`, `upper`, `lower`, `title`, `trim`; a loop, an attribute or item read, a call,
an include, import, extends, macro or set is refused when the template is checked, with
what was found, so nothing written by a member can run more than one pass over text.
A field that does not exist is refused too (StrictUndefined), never sent as blank.
"""

from __future__ import annotations

from dataclasses import dataclass

from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from storage.errors import N_, ValidationFailed

FIELDS = ("name", "company", "title", "region", "source", "owner", "code")
FILTERS = frozenset({"default", "upper", "lower", "title", "trim"})
SUBJECT_LIMIT = 200
BODY_LIMIT = 20_000  # characters: a long newsletter is far shorter; a 1 MB body is refused
_ALLOWED = (nodes.Template, nodes.Output, nodes.TemplateData, nodes.Name, nodes.Const,
            nodes.Filter, nodes.If, nodes.Not, nodes.And, nodes.Or, nodes.Test)
_REFUSED = {
    nodes.For: N_("A campaign template may not loop: write the text out."),
    nodes.Getattr: N_("A campaign template may not read attributes: use the merge fields."),
    nodes.Getitem: N_("A campaign template may not read attributes: use the merge fields."),
    nodes.Call: N_("A campaign template may not call anything: use the merge fields."),
    nodes.Include: N_("A campaign template may not include, import or extend files."),
    nodes.Import: N_("A campaign template may not include, import or extend files."),
    nodes.FromImport: N_("A campaign template may not include, import or extend files."),
    nodes.Extends: N_("A campaign template may not include, import or extend files."),
}
_OTHERWISE = N_("A campaign template may hold text, merge fields and if … endif only.")

_ENVIRONMENT = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False,
                                    keep_trailing_newline=True)


@dataclass(frozen=True)
class Template:
    subject: str
    body: str


def checked(subject: str, body: str) -> Template:
    """The template, once each part is within its size and uses only what is allowed."""
    subject, body = subject.strip(), body.strip()
    if not subject or not body:
        raise ValidationFailed("template", N_("A campaign needs a subject and a body."))
    if len(subject) > SUBJECT_LIMIT:
        raise ValidationFailed("template", N_("The subject is too long: at most {limit} "
                                              "characters."), limit=SUBJECT_LIMIT)
    if len(body) > BODY_LIMIT:
        raise ValidationFailed("template", N_("The body is too long: at most {limit} "
                                              "characters."), limit=BODY_LIMIT)
    for part in (subject, body):
        _allowed(part)
    return Template(subject, body)


def _allowed(text: str) -> None:
    try:
        tree = _ENVIRONMENT.parse(text)
    except TemplateSyntaxError as error:
        raise ValidationFailed("template", N_("The template has an error on line {line}: "
                                              "{error}"), line=error.lineno,
                               error=str(error.message or "")[:200]) from None
    for node in tree.find_all(nodes.Node):
        if isinstance(node, nodes.Name) and node.name not in FIELDS:
            raise ValidationFailed("template", N_("There is no merge field “{name}”. "
                                                  "Fields: {fields}."),
                                   name=node.name[:40], fields=", ".join(FIELDS))
        if isinstance(node, nodes.Filter) and node.name not in FILTERS:
            raise ValidationFailed("template", N_("The filter “{name}” is not allowed. "
                                                  "Filters: {filters}."),
                                   name=node.name[:40], filters=", ".join(sorted(FILTERS)))
        if isinstance(node, nodes.Test) and node.name not in ("defined", "none"):
            raise ValidationFailed("template", N_("The test “{name}” is not allowed."),
                                   name=node.name[:40])
        if not isinstance(node, _ALLOWED):
            raise ValidationFailed("template", next(
                (said for kind, said in _REFUSED.items() if isinstance(node, kind)), _OTHERWISE))


def render(template: Template, fields: dict[str, str]) -> tuple[str, str]:
    """Subject and body for one customer; a field it cannot fill is refused."""
    values = {name: fields.get(name) or "" for name in FIELDS}
    try:
        subject = _ENVIRONMENT.from_string(template.subject).render(values)
        body = _ENVIRONMENT.from_string(template.body).render(values)
    except (UndefinedError, SecurityError) as error:
        raise ValidationFailed("template", N_("The template could not be filled in: "
                                              "{error}"), error=str(error)[:200]) from None
    return " ".join(subject.split()), body
